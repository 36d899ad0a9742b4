/* Four threads spin at once: the CPU time of all of them counts, so the run must end
 * near 1 s of CPU in total, well before 1 s of wall time per thread would. */
#include <pthread.h>
static void *spin(void *arg) { (void)arg; for (volatile unsigned long i = 0;; i++) {} return 0; }
int main(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, spin, NULL);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    return 0;
}
