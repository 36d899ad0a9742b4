/* PTRACE_TRACEME is the first step of debugging tricks; ptrace could read and write another
 * process of the box's uid, so every ptrace request is fatal. */
#include <stdio.h>
#include <sys/ptrace.h>
int main(void) {
    long r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    printf("ptrace=%ld\n", r);
    return 0;
}
