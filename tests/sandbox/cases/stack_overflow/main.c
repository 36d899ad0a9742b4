/* Recurses without end, 1 KiB of stack a call: the 8 MiB stack limit must stop it (SIGSEGV)
 * long before the 128 MiB memory limit. The addition after the call stops a tail call. */
#include <stdio.h>
static int down(int n) {
    volatile char pad[1024];
    pad[n % 1024] = (char)n;
    return down(n + 1) + pad[n % 1024];
}
int main(void) { printf("%d\n", down(0)); return 0; }
