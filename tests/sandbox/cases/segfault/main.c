/* Writes through a NULL pointer. The pointer comes from argc, so that the compiler cannot
 * see it is NULL and turn the store into a trap (SIGILL). */
#include <stdint.h>
int main(int argc, char **argv) {
    (void)argv;
    volatile int *p = (int *)(uintptr_t)(argc - 1);
    *p = 42;
    return 0;
}
