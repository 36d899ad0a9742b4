/* Who the program is: uid/gid 65534 with no groups, no capabilities at all (not even in the
 * bounding set), no_new_privs and a seccomp filter (mode 2), and the box's own hostname. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    const char *keys[] = {"Uid:", "Gid:", "Groups:", "CapEff:", "CapPrm:", "CapBnd:",
                          "NoNewPrivs:", "Seccomp:"};
    char line[512], host[256] = "";
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) return 1;
    while (fgets(line, sizeof line, f))
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (strncmp(line, keys[i], strlen(keys[i])) == 0) fputs(line, stdout);
    fclose(f);
    gethostname(host, sizeof host);
    printf("hostname=%s\n", host);
    return 0;
}
