/* Starts sleeping threads until pthread_create fails: every thread counts against the
 * box's process limit (32), so it must stop far below the 1000 we try. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *nap(void *arg) { (void)arg; for (;;) sleep(100); return NULL; }

int main(void) {
    int count = 0, err = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024); /* the process limit must stop us, not memory */
    while (count < 1000) {
        pthread_t t;
        if ((err = pthread_create(&t, &attr, nap, NULL)) != 0) break;
        count++;
    }
    printf("%d threads, then: %s\n", count, strerror(err));
    if (count >= 1000) return 2;                     /* no limit at all */
    if (count < 32) puts("threads stopped at limit");
    fflush(stdout);
    return 1;
}
