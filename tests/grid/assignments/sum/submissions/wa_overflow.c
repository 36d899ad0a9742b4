/* int instead of long long: right on the small tests, wrong on the big ones. */
#include <stdio.h>
int main(void) { int a, b; scanf("%d %d", &a, &b); printf("%d\n", a + b); return 0; }
