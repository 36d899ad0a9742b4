/* Spins on one CPU forever: the CPU limit must stop it soon after 1 s. */
int main(void) { for (volatile unsigned long i = 0;; i++) {} }
