// 画家问题 (POJ 1681), the reference: enumerate the first row's 2^n choices of bricks to
// paint. Once row r is chosen, row r + 1 is forced: it must paint exactly the bricks
// under the ones still white in row r. A choice works when the last row ends all yellow.
// Rows are bitmasks (bit j = column j; a set bit in a wall row means white).
#include <cstdio>

int main() {
    int t;
    if (std::scanf("%d", &t) != 1) return 1;
    while (t--) {
        int n;
        std::scanf("%d", &n);
        unsigned wall[15] = {0};
        for (int i = 0; i < n; i++) {
            char line[32];
            std::scanf("%31s", line);
            for (int j = 0; j < n; j++)
                if (line[j] == 'w') wall[i] |= 1u << j;
        }
        const unsigned full = (1u << n) - 1;
        int best = -1;
        for (unsigned first = 0; first <= full; first++) {
            unsigned row[16];
            for (int i = 0; i < n; i++) row[i] = wall[i];
            row[n] = 0;
            unsigned paint = first;
            int count = 0;
            for (int i = 0; i < n; i++) {
                count += __builtin_popcount(paint);
                row[i] ^= (paint ^ (paint << 1) ^ (paint >> 1)) & full;
                row[i + 1] ^= paint;  // (and row i - 1, which this paint turns all yellow)
                paint = row[i];       // the next row paints under every brick still white
            }
            // The last row is all yellow only if nothing is left to paint below it.
            if (paint == 0 && (best < 0 || count < best)) best = count;
        }
        if (best < 0)
            std::puts("inf");
        else
            std::printf("%d\n", best);
    }
    return 0;
}
