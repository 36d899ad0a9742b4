#include <stdio.h>
int main(void) { long long n; scanf("%lld", &n); printf("1 %lld\n", n - 1); return 0; }
