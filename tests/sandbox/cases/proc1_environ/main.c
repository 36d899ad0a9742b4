/* Pid 1 of the box is our init, started by bwrap with --clearenv: its environment, like
 * the program's, must be the box's own and hold nothing of the host's (the leak check looks
 * for the test process's secret). */
#include <stdio.h>

static void dump(const char *path) {
    FILE *f = fopen(path, "r");
    printf("== %s%s\n", path, f ? "" : " (unreadable)");
    if (f == NULL) return;
    int c;
    while ((c = fgetc(f)) != EOF) putchar(c ? c : '\n');
    fclose(f);
}

int main(void) {
    dump("/proc/1/environ");
    dump("/proc/self/environ");
    return 0;
}
