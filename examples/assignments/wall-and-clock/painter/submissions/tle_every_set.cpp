// Tries every set of bricks to paint: 2^(n*n) of them. Right, and quick on walls of at most
// 4x4 (the test "tiny"), but a 5x5 wall already takes 2^25 tries: TLE on the other tests.
#include <iostream>
#include <string>
#include <vector>
using namespace std;

int main() {
    int t;
    cin >> t;
    while (t--) {
        int n;
        cin >> n;
        vector<string> wall(n);
        for (auto& row : wall) cin >> row;
        long long best = -1;
        for (unsigned long long set = 0; set < (1ULL << (n * n)); set++) {
            vector<string> w = wall;
            int count = 0;
            for (int k = 0; k < n * n; k++) {
                if (!(set >> k & 1)) continue;
                count++;
                int i = k / n, j = k % n;
                int di[] = {0, -1, 1, 0, 0}, dj[] = {0, 0, 0, -1, 1};
                for (int d = 0; d < 5; d++) {
                    int a = i + di[d], b = j + dj[d];
                    if (a >= 0 && a < n && b >= 0 && b < n) w[a][b] = w[a][b] == 'w' ? 'y' : 'w';
                }
            }
            bool yellow = true;
            for (auto& row : w)
                for (char c : row) yellow &= c == 'y';
            if (yellow && (best < 0 || count < best)) best = count;
        }
        if (best < 0)
            cout << "inf\n";
        else
            cout << best << "\n";
    }
}
