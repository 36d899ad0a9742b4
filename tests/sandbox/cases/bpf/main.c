/* bpf(): the verifier and JIT are a frequent source of kernel exploits. Even a call the
 * kernel would reject (NULL attributes) must be fatal. */
#include <stddef.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    long r = syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, NULL, 0);
    printf("bpf=%ld\n", r);
    return 0;
}
