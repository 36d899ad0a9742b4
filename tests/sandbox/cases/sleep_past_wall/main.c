/* Uses no CPU at all, only time: the wall-clock limit must end it. */
#include <unistd.h>
int main(void) { sleep(100); return 0; }
