/* userfaultfd lets a program stall the kernel mid-copy, widening race windows for exploits. */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    long r = syscall(SYS_userfaultfd, 0);
    printf("userfaultfd=%ld\n", r);
    return 0;
}
