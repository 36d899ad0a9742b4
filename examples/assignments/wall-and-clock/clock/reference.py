# 拨钟问题 (POJ 1166), the reference in Python: a move done four times changes nothing and
# the order of moves does not matter, so a shortest answer does each move 0 to 3 times.
# Enumerate the moves 1, 2 and 3; each other move is then forced by a dial that only it,
# among the moves not yet fixed, still turns. Exactly one choice works.
import sys
from itertools import product

MOVES = ["ABDE", "ABC", "BCEF", "ADG", "BDEFH", "CFI", "DEGH", "GHI", "EFHI"]


def solved(dials, counts):
    out = list(dials)
    for move, times in zip(MOVES, counts, strict=True):
        for dial in move:
            out[ord(dial) - ord("A")] += times
    return all(d % 4 == 0 for d in out)


def main():
    a, b, c, d, e, f, g, h, i = map(int, sys.stdin.read().split())
    best = None
    for m1, m2, m3 in product(range(4), repeat=3):
        m4 = -(a + m1 + m2) % 4  # A: moves 1 2 4
        m5 = -(b + m1 + m2 + m3) % 4  # B: 1 2 3 5
        m6 = -(c + m2 + m3) % 4  # C: 2 3 6
        m7 = -(d + m1 + m4 + m5) % 4  # D: 1 4 5 7
        m8 = -(g + m4 + m7) % 4  # G: 4 7 8
        m9 = -(f + m3 + m5 + m6) % 4  # F: 3 5 6 9
        counts = [m1, m2, m3, m4, m5, m6, m7, m8, m9]
        if solved([a, b, c, d, e, f, g, h, i], counts):
            if best is None or sum(counts) < sum(best):
                best = counts
    print(" ".join(str(k) for k in range(1, 10) for _ in range(best[k - 1])))


main()
