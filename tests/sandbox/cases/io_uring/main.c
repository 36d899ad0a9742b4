/* io_uring: its operations bypass per-syscall filtering (an SQE can open or connect without
 * a syscall the filter sees), so setting one up is fatal. */
#include <linux/io_uring.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    struct io_uring_params params = {0};
    long r = syscall(SYS_io_uring_setup, 8, &params);
    printf("io_uring_setup=%ld\n", r);
    return 0;
}
