/* Tries to outlive the box: double fork and setsid, the grandchild a shell that sleeps 30 s
 * with the case's marker on its command line; the program exits 0 at once. Every process
 * of the box must die with it. We wait for the shell's exec (the close-on-exec pipe closes),
 * so that the daemon surely exists when the program exits. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char cmd[512];
    int p[2];
    if (argc < 2 || pipe2(p, O_CLOEXEC) != 0) return 3;
    snprintf(cmd, sizeof cmd, "sleep 30; echo %s", argv[1]);
    pid_t child = fork();
    if (child < 0) return 4;
    if (child == 0) {
        close(p[0]);
        setsid();
        if (fork() == 0) {
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
            _exit(127);
        }
        _exit(0);
    }
    close(p[1]);
    char c;
    while (read(p[0], &c, 1) > 0) {}
    puts("daemon started");
    return 0;
}
