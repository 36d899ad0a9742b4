# A learner's accepted answer in Python: decide how many times (0 to 3) to make each move,
# in order, and give up on a choice as soon as a dial that no later move turns is not at
# 12 o'clock.
import sys

MOVES = ["ABDE", "ABC", "BCEF", "ADG", "BDEFH", "CFI", "DEGH", "GHI", "EFHI"]
TURNS = [[ord(c) - ord("A") for c in move] for move in MOVES]
LAST = [max(k for k, move in enumerate(TURNS) if dial in move) for dial in range(9)]
dials = [int(x) for x in sys.stdin.read().split()]
best = None


def search(k, counts):
    global best
    for dial in range(9):
        if LAST[dial] == k - 1 and dials[dial] % 4:
            return
    if k == 9:
        if best is None or sum(counts) < sum(best):
            best = list(counts)
        return
    for times in range(4):
        for dial in TURNS[k]:
            dials[dial] += times
        search(k + 1, counts + [times])
        for dial in TURNS[k]:
            dials[dial] -= times


search(0, [])
print(" ".join(str(k + 1) for k in range(9) for _ in range(best[k])))
