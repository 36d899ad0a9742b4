/* Lists its open descriptors: only stdin, stdout, stderr and the directory being read may be
 * open. Anything else was inherited from the sandbox's machinery (bwrap's info, block or
 * seccomp pipes, the init's status pipe) and could be written to or read from. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) return 1;
    struct dirent *e;
    int first = 1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        printf(first ? "%s" : " %s", e->d_name);
        first = 0;
    }
    putchar('\n');
    closedir(d);
    return 0;
}
