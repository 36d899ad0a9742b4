// Iterative deepening over sequences of moves, in every order (9^depth of them at each
// depth): quick when at most 4 moves are needed (sample, zeros, single-*), hopeless for
// the tests that need 11 or more: TLE.
#include <algorithm>
#include <cstdio>
#include <vector>

const char* MOVES[9] = {"ABDE", "ABC", "BCEF", "ADG", "BDEFH", "CFI", "DEGH", "GHI", "EFHI"};
int dial[9];
std::vector<int> path;

bool search(int left) {
    bool done = true;
    for (int i = 0; i < 9; i++) done = done && dial[i] % 4 == 0;
    if (done) return true;
    if (left == 0) return false;
    for (int k = 0; k < 9; k++) {
        for (const char* c = MOVES[k]; *c; c++) dial[*c - 'A']++;
        path.push_back(k + 1);
        if (search(left - 1)) return true;
        path.pop_back();
        for (const char* c = MOVES[k]; *c; c++) dial[*c - 'A']--;
    }
    return false;
}

int main() {
    for (int i = 0; i < 9; i++) std::scanf("%d", &dial[i]);
    for (int depth = 0; !search(depth); depth++) {
    }
    std::sort(path.begin(), path.end());
    for (size_t i = 0; i < path.size(); i++) std::printf(i ? " %d" : "%d", path[i]);
    std::printf("\n");
}
