/* Writes to stdout forever: the output limit (64 KiB) must stop it, and no more than that
 * may be kept. */
#include <string.h>
#include <unistd.h>
int main(void) {
    char buf[4096];
    memset(buf, 'y', sizeof buf);
    for (;;) if (write(1, buf, sizeof buf) < 0) return 3;
}
