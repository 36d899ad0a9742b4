/* Fills the work dir with one file, 64 KiB at a time, until a write fails. The file size
 * limit (16 MiB) is above the work dir's (4 MiB): the tmpfs must say ENOSPC first. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    static char block[64 * 1024];
    memset(block, 'f', sizeof block);
    int fd = open("/box/fill", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror("open"); return 3; }
    long total = 0;
    for (;;) {
        ssize_t n = write(fd, block, sizeof block);
        if (n < 0) break;
        total += n;
    }
    printf("write failed after %ld bytes: %s\n", total, strerrorname_np(errno));
    return 1;
}
