// The C++ self-test: reads numbers until the end of input, prints their sum and count.
#include <bits/stdc++.h>
int main() {
    std::vector<long long> xs;
    long long x;
    while (std::cin >> x) xs.push_back(x);
    std::cout << std::accumulate(xs.begin(), xs.end(), 0LL) << " " << xs.size() << "\n";
}
