/* Stops itself: a stopped process never ends by itself, and must not hang the sandbox
 * (nor be taken for finished). The line after the stop must never appear. */
#include <signal.h>
#include <stdio.h>
int main(void) {
    puts("stopping now");
    fflush(stdout);
    raise(SIGSTOP);
    puts("resumed after stop");
    return 0;
}
