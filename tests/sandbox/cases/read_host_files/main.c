/* Goes for the host's files: accounts, logs, home dirs, the canary and the hidden tests
 * beside the boxes. Only /usr and two files of /etc are mapped in, so none may be there.
 * A file counts if it reads > 0 bytes, a directory if it lists any entry. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int readable(const char *path) {
    char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf);
        close(fd);
        if (n > 0) return 1;
    }
    DIR *d = opendir(path);
    if (d == NULL) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d)) != NULL)
        found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return found;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    char hidden_in[4096];
    snprintf(hidden_in, sizeof hidden_in, "%s/1.in", argv[2]);
    const char *paths[] = {"/etc/passwd", "/etc/shadow", "/root", "/home", "/var/log", "/run",
                           argv[1], argv[2], hidden_in};
    int any = 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (readable(paths[i])) {
            printf("readable: %s\n", paths[i]);
            any = 1;
        }
    if (!any) puts("none readable");
    return 0;
}
