/* Attaches to its own child, as it would to any process of the same uid it could see. */
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <unistd.h>
int main(void) {
    pid_t child = fork();
    if (child == 0) {
        pause();
        return 0;
    }
    long r = ptrace(PTRACE_ATTACH, child, NULL, NULL);
    printf("attach=%ld\n", r);
    kill(child, SIGKILL);
    return 0;
}
