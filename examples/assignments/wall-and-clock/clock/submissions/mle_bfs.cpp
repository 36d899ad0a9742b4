// Breadth-first search over sequences of moves, each kept whole in the queue, and no note
// of the clock states already seen: the queue grows ninefold per move. Fine when at most
// 4 moves are needed (sample, zeros, single-*); for 11 or more it passes 64 MiB long
// before the time runs out: MLE.
#include <algorithm>
#include <cstdio>
#include <queue>
#include <vector>

const char* MOVES[9] = {"ABDE", "ABC", "BCEF", "ADG", "BDEFH", "CFI", "DEGH", "GHI", "EFHI"};

int main() {
    int start[9];
    for (int i = 0; i < 9; i++) std::scanf("%d", &start[i]);
    std::queue<std::vector<int>> queue;
    queue.push({});
    while (!queue.empty()) {
        std::vector<int> moves = queue.front();
        queue.pop();
        int dial[9];
        for (int i = 0; i < 9; i++) dial[i] = start[i];
        for (int k : moves)
            for (const char* c = MOVES[k - 1]; *c; c++) dial[*c - 'A']++;
        bool done = true;
        for (int i = 0; i < 9; i++) done = done && dial[i] % 4 == 0;
        if (done) {
            std::sort(moves.begin(), moves.end());
            for (size_t i = 0; i < moves.size(); i++) std::printf(i ? " %d" : "%d", moves[i]);
            std::printf("\n");
            return 0;
        }
        for (int k = 1; k <= 9; k++) {
            std::vector<int> next = moves;
            next.push_back(k);
            queue.push(next);
        }
    }
}
