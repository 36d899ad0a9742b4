/* Raises SIGXFSZ at itself with no big file written: FILE_SIZE_LIMIT needs a file that
 * really reached the limit. */
#include <signal.h>
int main(void) { raise(SIGXFSZ); return 0; }
