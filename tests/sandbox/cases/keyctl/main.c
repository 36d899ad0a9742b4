/* The kernel keyring: a large attack surface, and keys could be shared with the host's
 * processes of the same uid. */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    long r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
    printf("keyctl=%ld\n", r);
    return 0;
}
