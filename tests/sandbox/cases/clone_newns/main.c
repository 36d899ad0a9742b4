/* Namespace flags through clone() instead of unshare(): the filter checks clone's flags
 * (clone3, whose flags it cannot see, says ENOSYS). */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    long r = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) _exit(0);
    printf("clone=%ld\n", r);
    return 0;
}
