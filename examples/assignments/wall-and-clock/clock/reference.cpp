// 拨钟问题 (POJ 1166), the reference: a move done four times changes nothing, and the order
// of moves does not matter, so a shortest answer does each move 0 to 3 times. Enumerate
// the moves 1, 2 and 3 (4^3 ways); each of the other moves is then forced by a dial that
// only it, among the moves not yet fixed, still turns. Exactly one choice works.
#include <cstdio>

int main() {
    int d[9];  // dials A..I, 0..3 (12, 3, 6, 9 o'clock)
    for (int i = 0; i < 9; i++)
        if (std::scanf("%d", &d[i]) != 1) return 1;
    int best[10] = {0}, bestTotal = -1;
    int m[10];
    for (m[1] = 0; m[1] < 4; m[1]++)
        for (m[2] = 0; m[2] < 4; m[2]++)
            for (m[3] = 0; m[3] < 4; m[3]++) {
                // A: moves 1 2 4          B: 1 2 3 5           C: 2 3 6
                m[4] = (4 * 4 - d[0] - m[1] - m[2]) % 4;
                m[5] = (4 * 4 - d[1] - m[1] - m[2] - m[3]) % 4;
                m[6] = (4 * 4 - d[2] - m[2] - m[3]) % 4;
                // D: 1 4 5 7              G: 4 7 8             F: 3 5 6 9
                m[7] = (4 * 4 - d[3] - m[1] - m[4] - m[5]) % 4;
                m[8] = (4 * 4 - d[6] - m[4] - m[7]) % 4;
                m[9] = (4 * 4 - d[5] - m[3] - m[5] - m[6]) % 4;
                // E: 1 3 5 7 9            H: 5 7 8 9           I: 6 8 9
                if ((d[4] + m[1] + m[3] + m[5] + m[7] + m[9]) % 4 != 0) continue;
                if ((d[7] + m[5] + m[7] + m[8] + m[9]) % 4 != 0) continue;
                if ((d[8] + m[6] + m[8] + m[9]) % 4 != 0) continue;
                int total = 0;
                for (int k = 1; k <= 9; k++) total += m[k];
                if (bestTotal < 0 || total < bestTotal) {
                    bestTotal = total;
                    for (int k = 1; k <= 9; k++) best[k] = m[k];
                }
            }
    bool first = true;
    for (int k = 1; k <= 9; k++)
        for (int r = 0; r < best[k]; r++) {
            std::printf(first ? "%d" : " %d", k);
            first = false;
        }
    std::printf("\n");
    return 0;
}
