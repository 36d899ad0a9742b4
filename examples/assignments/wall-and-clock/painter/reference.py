# 画家问题 (POJ 1681), the reference in Python: enumerate the first row's 2^n choices of
# bricks to paint; every later row must then paint exactly the bricks under those still
# white above it, and a choice works if the last row ends all yellow. Rows are bitmasks
# (bit j = column j; a set bit in a wall row means white).
import sys


def fewest(wall):
    n = len(wall)
    full = (1 << n) - 1
    white = [sum(1 << j for j, c in enumerate(row) if c == "w") for row in wall]
    best = None
    for first in range(full + 1):
        rows = white + [0]
        paint, count = first, 0
        for i in range(n):
            count += paint.bit_count()
            rows[i] ^= (paint ^ (paint << 1) ^ (paint >> 1)) & full
            rows[i + 1] ^= paint
            paint = rows[i]
        if paint == 0 and (best is None or count < best):
            best = count
    return best


def main():
    words = sys.stdin.read().split()
    t, at, out = int(words[0]), 1, []
    for _ in range(t):
        n = int(words[at])
        wall = words[at + 1 : at + 1 + n]
        at += 1 + n
        best = fewest(wall)
        out.append("inf" if best is None else str(best))
    print("\n".join(out))


main()
