/* Leaves ten zombies it never waits for: the box's init must reap them once they are
 * orphans, and the run still end OK, promptly. */
#include <time.h>
#include <unistd.h>
int main(void) {
    for (int i = 0; i < 10; i++)
        if (fork() == 0) _exit(0);
    nanosleep(&(struct timespec){0, 200000000}, NULL);
    return 0;
}
