/* Tries to create or overwrite files everywhere but /box and /tmp: the root, /usr, /etc and
 * /dev are read-only, /proc/sys belongs to the host's user namespace, /sys is not mounted,
 * and the canary is not in the box at all. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *paths[] = {"/usr/x", "/etc/x", "/x", "/dev/x", "/dev/shm/x",
                           "/proc/sys/kernel/hostname", "/sys/x", argv[1]};
    const char *text = "pwned\n";
    int any = 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        int fd = open(paths[i], O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd < 0) fd = open(paths[i], O_WRONLY); /* an existing file we may not create */
        if (fd >= 0 && write(fd, text, strlen(text)) > 0) {
            printf("wrote: %s\n", paths[i]);
            any = 1;
        }
        if (fd >= 0) close(fd);
    }
    if (!any) puts("nothing written");
    return 0;
}
