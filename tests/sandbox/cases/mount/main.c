/* A mount over the work dir: mounts would let a program reshape what it sees. */
#include <stdio.h>
#include <sys/mount.h>
int main(void) {
    int r = mount("none", "/box", "tmpfs", 0, NULL);
    printf("mount=%d\n", r);
    return 0;
}
