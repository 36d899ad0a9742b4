/* Memory that no process's resident set shows: 30 processes fill pipes with 1 MiB buffers.
 * The kernel charges pipe buffers to the box's cgroup; the OOM killer must pick one of
 * these processes, never the box's init (which would leave the run without a report). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    for (int p = 0; p < 30; p++) {
        if (fork() == 0) {
            for (int i = 0; i < 32; i++) {
                int fds[2];
                if (pipe2(fds, O_NONBLOCK) != 0)
                    break;
                fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
                while (write(fds[1], buf, sizeof buf) > 0)
                    ;
            }
            sleep(1);
            _exit(0);
        }
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}
