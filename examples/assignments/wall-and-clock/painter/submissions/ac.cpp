// A learner's accepted answer, in the style of the course: a 2D wall with a border of
// zeros (no bounds checks), the first row enumerated as a binary counter.
#include <algorithm>
#include <cstring>
#include <iostream>
#include <string>
using namespace std;

int wall[17][17], paint[17][17];
int n;

// Paints row r + 1 under every brick of row r still white; false if the last row is not
// all yellow at the end. Counts the bricks painted in `steps`.
bool guess(int& steps) {
    for (int r = 1; r < n; r++)
        for (int c = 1; c <= n; c++)
            paint[r + 1][c] = (wall[r][c] + paint[r][c] + paint[r - 1][c] + paint[r][c - 1] +
                               paint[r][c + 1]) % 2;
    for (int c = 1; c <= n; c++)
        if ((paint[n][c - 1] + paint[n][c] + paint[n][c + 1] + paint[n - 1][c] + wall[n][c]) % 2)
            return false;
    steps = 0;
    for (int r = 1; r <= n; r++)
        for (int c = 1; c <= n; c++) steps += paint[r][c];
    return true;
}

int main() {
    int t;
    cin >> t;
    while (t--) {
        cin >> n;
        memset(wall, 0, sizeof wall);
        memset(paint, 0, sizeof paint);
        for (int r = 1; r <= n; r++) {
            string line;
            cin >> line;
            for (int c = 1; c <= n; c++) wall[r][c] = line[c - 1] == 'w';
        }
        int best = -1;
        for (int first = 0; first < (1 << n); first++) {
            for (int c = 1; c <= n; c++) paint[1][c] = first >> (c - 1) & 1;
            int steps;
            if (guess(steps) && (best < 0 || steps < best)) best = steps;
        }
        if (best < 0)
            cout << "inf\n";
        else
            cout << best << "\n";
    }
}
