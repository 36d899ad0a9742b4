/* Right whenever the wall can be made yellow, but never prints "inf": the minimum starts
 * at INT_MAX and the test for "no way" looks for -1, so an impossible wall prints
 * 2147483647. Fails exactly the tests with an impossible wall: tiny, impossible, random-3. */
#include <limits.h>
#include <stdio.h>

int main(void) {
    int t;
    scanf("%d", &t);
    while (t--) {
        int n;
        unsigned wall[16] = {0};
        scanf("%d", &n);
        for (int i = 0; i < n; i++) {
            char line[32];
            scanf("%31s", line);
            for (int j = 0; j < n; j++)
                if (line[j] == 'w') wall[i] |= 1u << j;
        }
        unsigned full = (1u << n) - 1;
        int best = INT_MAX;
        for (unsigned first = 0; first <= full; first++) {
            unsigned rows[16];
            for (int i = 0; i <= n; i++) rows[i] = i < n ? wall[i] : 0;
            unsigned paint = first;
            int count = 0;
            for (int i = 0; i < n; i++) {
                count += __builtin_popcount(paint);
                rows[i] ^= (paint ^ (paint << 1) ^ (paint >> 1)) & full;
                rows[i + 1] ^= paint;
                paint = rows[i];
            }
            if (paint == 0 && count < best) best = count;
        }
        if (best == -1)
            printf("inf\n");
        else
            printf("%d\n", best);
    }
    return 0;
}
