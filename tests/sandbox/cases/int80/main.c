/* A syscall through the 32-bit ABI (int 0x80) on x86_64: its numbers differ from the native
 * ones, so a filter that looked only at numbers could be bypassed; the filter kills any
 * non-native ABI. Here the harmless getpid (20 on i386). */
#include <stdio.h>
int main(void) {
    long r = 20;
    __asm__ volatile("int $0x80" : "+a"(r) : : "memory", "r8", "r9", "r10", "r11");
    printf("getpid via int 0x80=%ld\n", r);
    return 0;
}
