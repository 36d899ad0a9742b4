/* Writes through a null pointer (taken from argc, so the compiler cannot see it): SIGSEGV. */
int main(int argc, char **argv) {
    (void)argv;
    volatile int *p = (volatile int *)(long)(argc - 1);
    *p = 1;
    return 0;
}
