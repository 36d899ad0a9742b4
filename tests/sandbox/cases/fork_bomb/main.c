/* The classic: every process forks forever. The pids cgroup stops the growth; the CPU limit
 * (all processes together) ends the run; nothing may be left afterwards. */
#include <unistd.h>
int main(int argc, char **argv) {
    (void)argc; (void)argv;
    for (;;) fork();
}
