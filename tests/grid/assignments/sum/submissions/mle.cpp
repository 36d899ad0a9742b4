// Keeps 1 MiB blocks, touched, until the memory limit stops it.
#include <bits/stdc++.h>
int main() { std::vector<std::vector<char>> keep; for (;;) keep.emplace_back(1 << 20, 'x'); }
