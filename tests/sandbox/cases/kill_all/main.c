/* Tries to kill everything it may signal (kill -1) and the init: neither may reach a host
 * process of the same uid, nor end the box's own init before the program. */
#include <signal.h>
#include <stdio.h>
int main(void) {
    kill(-1, SIGKILL);
    kill(1, SIGKILL);
    puts("still alive");
    return 0;
}
