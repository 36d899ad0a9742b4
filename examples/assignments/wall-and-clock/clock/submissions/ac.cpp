// A learner's accepted answer, as the course teaches enumeration: each move 0 to 3 times,
// nine nested loops (4^9 = 262144 tries), keeping the fewest moves.
#include <cstdio>

const char* MOVES[10] = {"", "ABDE", "ABC", "BCEF", "ADG", "BDEFH", "CFI", "DEGH", "GHI", "EFHI"};

int main() {
    int start[9];
    for (int i = 0; i < 9; i++) std::scanf("%d", &start[i]);
    int m[10], best[10] = {0}, bestTotal = 100;
    for (m[1] = 0; m[1] < 4; m[1]++)
    for (m[2] = 0; m[2] < 4; m[2]++)
    for (m[3] = 0; m[3] < 4; m[3]++)
    for (m[4] = 0; m[4] < 4; m[4]++)
    for (m[5] = 0; m[5] < 4; m[5]++)
    for (m[6] = 0; m[6] < 4; m[6]++)
    for (m[7] = 0; m[7] < 4; m[7]++)
    for (m[8] = 0; m[8] < 4; m[8]++)
    for (m[9] = 0; m[9] < 4; m[9]++) {
        int dial[9], total = 0;
        for (int i = 0; i < 9; i++) dial[i] = start[i];
        for (int k = 1; k <= 9; k++) {
            total += m[k];
            for (const char* c = MOVES[k]; *c; c++) dial[*c - 'A'] += m[k];
        }
        bool done = true;
        for (int i = 0; i < 9; i++) done = done && dial[i] % 4 == 0;
        if (done && total < bestTotal) {
            bestTotal = total;
            for (int k = 1; k <= 9; k++) best[k] = m[k];
        }
    }
    const char* sep = "";
    for (int k = 1; k <= 9; k++)
        for (int r = 0; r < best[k]; r++) {
            std::printf("%s%d", sep, k);
            sep = " ";
        }
    std::printf("\n");
}
