/* Runs the host's setuid-root mount(8) to mount over /box. Setuid must not make anyone root:
 * the box's user namespace maps no root, /usr is bound nosuid and no_new_privs is set; and
 * mount's own mount() call would be killed by the filter. Then checks our own euid. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        execl("/usr/bin/mount", "mount", "-t", "tmpfs", "none", "/box", (char *)NULL);
        _exit(126);
    }
    int st;
    waitpid(child, &st, 0);
    if (WIFEXITED(st))
        printf("mount exited %d\n", WEXITSTATUS(st));
    else
        printf("mount killed by signal %d\n", WTERMSIG(st));
    printf("euid=%d\n", (int)geteuid());
    return 0;
}
