/* A fork bomb: every process forks for ever. The box allows 16 processes in all, so the
 * forks soon fail, and the processes that are left spin until their CPU time, counted
 * together, passes the limit: TLE on every test, and nothing outlives the box. */
#include <unistd.h>

int main(void) {
    for (;;) fork();
}
