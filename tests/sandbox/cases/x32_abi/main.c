/* A syscall number with the x32 bit (0x40000000): the same entry point as native calls, told
 * apart only by that bit, so a filter matching plain numbers could miss it. Should the call
 * come back (-1 ENOSYS where the kernel lacks x32), the program says so and exits 0. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    long r = syscall(0x40000000 | SYS_getpid);
    printf("x32 getpid=%ld errno=%d\n", r, r < 0 ? errno : 0);
    return 0;
}
