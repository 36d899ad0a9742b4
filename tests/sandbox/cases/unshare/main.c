/* A new user namespace makes the process root inside it, the usual start of a kernel
 * exploit: refused by bwrap (--disable-userns) and killed by the filter before that. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
int main(void) {
    int r = unshare(CLONE_NEWUSER);
    printf("unshare=%d\n", r);
    return 0;
}
