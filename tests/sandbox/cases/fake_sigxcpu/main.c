/* Raises SIGXCPU at itself after a few microseconds of CPU: a program cannot pick the
 * TIME_LIMIT status, which only measured CPU time gives. */
#include <signal.h>
int main(void) { raise(SIGXCPU); return 0; }
