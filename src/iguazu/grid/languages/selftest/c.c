/* The C self-test: reads numbers until the end of input, prints their sum and count. */
#include <stdio.h>
int main(void) {
    long long x, sum = 0;
    int n = 0;
    while (scanf("%lld", &x) == 1) {
        sum += x;
        n++;
    }
    printf("%lld %d\n", sum, n);
    return 0;
}
