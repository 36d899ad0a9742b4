// Sets up a table of answers for every wall of up to 5x5 (2^25 ints, 128 MiB) before it
// reads anything: MLE on every test, as the limit is 64 MiB.
#include <cstdio>
#include <cstring>

static int best[1 << 25];

int main() {
    std::memset(best, -1, sizeof best);
    int t;
    if (std::scanf("%d", &t) != 1) return 1;
    std::printf("%d\n", best[t]);
}
