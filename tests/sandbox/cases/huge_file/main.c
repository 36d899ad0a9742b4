/* Writes one file past the file size limit (1 MiB) while the work dir (4 MiB) still has
 * room: RLIMIT_FSIZE must kill it with SIGXFSZ. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    static char block[64 * 1024];
    memset(block, 'h', sizeof block);
    int fd = open("/box/huge", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror("open"); return 3; }
    for (int i = 0; i < 32; i++)  /* 2 MiB */
        if (write(fd, block, sizeof block) < 0) { perror("write"); return 4; }
    puts("wrote 2 MiB");
    return 0;
}
