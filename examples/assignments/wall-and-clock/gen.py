#!/usr/bin/env python3
"""Writes the tests of both parts: painter/tests and clock/tests, <name>.in and <name>.out.

    python3 gen.py            # from anywhere; the same files every time (seeded)

tests/grid/test_examples.py checks that the files here are what generate() gives.

The answers come from the same methods as the references, re-implemented here (Python
3.10 or later, no dependencies); small walls are checked against trying every set of
bricks, and each clock's answer is checked to be the only one. `iguazu grade check` then
runs the C++ and Python references against these files: they must agree.

Sizes matter to the example's submissions (see */submissions/expected.toml): the only
painter test whose walls are all at most 4x4 is `tiny` (brute force over every set of
bricks passes it, and no other); a clock test needs either at most 4 moves (sample, zeros,
single-*) or at least 11 (threes, random-*), never 5 to 10, so that searching move
sequences breadth- or depth-first is fast on the former and hopeless on the latter.
"""

from __future__ import annotations

import random
from itertools import product
from pathlib import Path

HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------- painter


def painter_solve(wall: list[str]) -> int | None:
    """The fewest bricks to paint so that all are yellow, None if no way exists. Enumerate
    the first row's 2^n choices: every later row must then paint exactly the bricks under
    those still white above it, and the choice works if the last row ends all yellow."""
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


def painter_exhaustive(wall: list[str]) -> int | None:
    """Every set of bricks (2^(n*n) of them): the check for walls of at most 4x4. The wall
    and what painting brick k flips are bitmasks of the n*n bricks."""
    n = len(wall)
    white = sum(1 << (i * n + j) for i in range(n) for j in range(n) if wall[i][j] == "w")
    flips = []
    for i in range(n):
        for j in range(n):
            near = ((i, j), (i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1))
            flips.append(sum(1 << (a * n + b) for a, b in near if 0 <= a < n and 0 <= b < n))
    best = None
    for bricks in range(1 << (n * n)):
        left = white
        for k, flip in enumerate(flips):
            if bricks >> k & 1:
                left ^= flip
        if left == 0:
            count = bricks.bit_count()
            best = count if best is None else min(best, count)
    return best


def painted(n: int, bricks: set[tuple[int, int]]) -> list[str]:
    """The wall that painting `bricks` turns all yellow (so it has an answer)."""
    grid = [[False] * n for _ in range(n)]
    for i, j in bricks:
        for a, b in ((i, j), (i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):
            if 0 <= a < n and 0 <= b < n:
                grid[a][b] = not grid[a][b]
    return ["".join("w" if c else "y" for c in row) for row in grid]


def uniform(n: int, c: str) -> list[str]:
    return [c * n] * n


def random_wall(rng: random.Random, n: int, white: float = 0.5) -> list[str]:
    return ["".join("w" if rng.random() < white else "y" for _ in range(n)) for _ in range(n)]


def solvable_wall(rng: random.Random, n: int, share: float) -> list[str]:
    cells = [(i, j) for i in range(n) for j in range(n)]
    return painted(n, {c for c in cells if rng.random() < share})


def impossible_wall(rng: random.Random, n: int) -> list[str]:
    """A wall with no answer (only sizes whose light-chasing matrix is singular have one)."""
    for _ in range(1000):
        wall = random_wall(rng, n, rng.choice([0.1, 0.5]))
        if painter_solve(wall) is None:
            return wall
    raise ValueError(f"no impossible {n}x{n} wall found: every wall of that size has an answer")


def painter_tests(rng: random.Random) -> dict[str, list[list[str]]]:
    checker = ["".join("wy"[(i + j) % 2] for j in range(15)) for i in range(15)]
    stripes = ["w" * 15 if i % 2 else "y" * 15 for i in range(15)]
    frame = ["w" * 15] + ["w" + "y" * 13 + "w"] * 13 + ["w" * 15]
    return {
        # POJ 1681's sample.
        "sample": [uniform(3, "y"), uniform(5, "w")],
        # One brick of each colour, then all small sizes (a 4x4 wall may have no answer).
        "tiny": [
            ["w"],
            ["y"],
            uniform(2, "w"),
            ["wy", "yw"],
            ["yy", "yw"],
            uniform(3, "w"),
            ["wyw", "yyy", "wyw"],
            uniform(4, "w"),
            ["wyyy", "yyyy", "yyyy", "yyyy"],
            solvable_wall(rng, 4, 0.5),
        ],
        "all-yellow": [uniform(n, "y") for n in (1, 2, 6, 11, 15)],
        "all-white": [uniform(n, "w") for n in range(6, 16)],
        # Sizes with walls that cannot be made yellow: 4, 5, 9, 11 and 14 (up to 15).
        "impossible": [impossible_wall(rng, n) for n in (4, 5, 9, 11, 14)]
        + [solvable_wall(rng, 9, 0.3)],
        "n15-patterns": [checker, stripes, frame, painted(15, {(7, 7)})],
        "n15-random": [random_wall(rng, 15) for _ in range(3)]
        + [solvable_wall(rng, 15, s) for s in (0.2, 0.5, 0.8)],
        **{
            f"random-{k}": [
                random_wall(rng, n) if rng.random() < 0.5 else solvable_wall(rng, n, 0.4)
                for n in (rng.randint(5, 15) for _ in range(6))
            ]
            for k in (1, 2, 3)
        },
    }


def painter_files(cases: list[list[str]]) -> tuple[str, str]:
    given = [str(len(cases))]
    answers = []
    for wall in cases:
        given += [str(len(wall)), *wall]
        best = painter_solve(wall)
        if len(wall) <= 4:
            assert best == painter_exhaustive(wall), wall
        answers.append("inf" if best is None else str(best))
    return "\n".join(given) + "\n", "\n".join(answers) + "\n"


# ------------------------------------------------------------------------------ clock

# The dials each move turns a quarter clockwise (POJ 1166): move k is MOVES[k - 1].
MOVES = ["ABDE", "ABC", "BCEF", "ADG", "BDEFH", "CFI", "DEGH", "GHI", "EFHI"]


def turned(dials: list[int], counts: list[int]) -> list[int]:
    """The dials after doing move k counts[k - 1] times, for every k."""
    out = list(dials)
    for move, times in zip(MOVES, counts, strict=True):
        for dial in move:
            out[ord(dial) - ord("A")] += times
    return [d % 4 for d in out]


def clock_solve(dials: list[int]) -> list[int]:
    """How many times to do each move (0 to 3: four turns change nothing, and the order does
    not matter). Enumerate moves 1, 2, 3; dials A, B, C, D, G, F then force moves 4, 5, 6,
    7, 8, 9 one by one. Asserts that exactly one choice works (the moves' matrix is
    invertible modulo 4), so the shortest sequence's multiset is unique."""
    found = []
    for m1, m2, m3 in product(range(4), repeat=3):
        a, b, c, d, _, f, g, _, _ = dials
        m4 = -(a + m1 + m2) % 4
        m5 = -(b + m1 + m2 + m3) % 4
        m6 = -(c + m2 + m3) % 4
        m7 = -(d + m1 + m4 + m5) % 4
        m8 = -(g + m4 + m7) % 4
        m9 = -(f + m3 + m5 + m6) % 4
        counts = [m1, m2, m3, m4, m5, m6, m7, m8, m9]
        if turned(dials, counts) == [0] * 9:
            found.append(counts)
    assert len(found) == 1, (dials, found)
    return found[0]


def clock_tests(rng: random.Random) -> dict[str, list[int]]:
    tests = {
        "sample": [3, 3, 0, 2, 2, 2, 2, 1, 2],  # POJ 1166's sample: 4 5 8 9
        "zeros": [0] * 9,  # nothing to do: an empty line
        "threes": [3] * 9,
    }
    for k in range(1, 10):  # exactly move k, once, sets every dial to 12 o'clock
        tests[f"single-{k}"] = turned([0] * 9, [3 if i == k else 0 for i in range(1, 10)])
    k = 1
    while k <= 8:
        dials = [rng.randrange(4) for _ in range(9)]
        if sum(clock_solve(dials)) >= 11:  # see the module's docstring
            tests[f"random-{k}"] = dials
            k += 1
    return tests


def clock_files(dials: list[int]) -> tuple[str, str]:
    given = "\n".join(" ".join(map(str, dials[r : r + 3])) for r in (0, 3, 6)) + "\n"
    counts = clock_solve(dials)
    moves = [str(k) for k in range(1, 10) for _ in range(counts[k - 1])]
    return given, " ".join(moves) + "\n"


# ------------------------------------------------------------------------------- main


def generate() -> dict[str, str]:
    """Every test file, by its path under this folder: painter/tests/sample.in, ..."""
    rng = random.Random(1681)
    painter = {name: painter_files(cases) for name, cases in painter_tests(rng).items()}
    rng = random.Random(1166)
    clock = {name: clock_files(dials) for name, dials in clock_tests(rng).items()}
    found = {}
    for part, tests in (("painter", painter), ("clock", clock)):
        for name, (given, answer) in tests.items():
            found[f"{part}/tests/{name}.in"] = given
            found[f"{part}/tests/{name}.out"] = answer
    return found


def main() -> None:
    files = generate()
    for part in ("painter", "clock"):
        folder = HERE / part / "tests"
        folder.mkdir(parents=True, exist_ok=True)
        for old in [*folder.glob("*.in"), *folder.glob("*.out")]:
            old.unlink()
    for path, text in files.items():
        (HERE / path).write_text(text)
    for part in ("painter", "clock"):
        count = sum(p.startswith(f"{part}/") and p.endswith(".in") for p in files)
        print(f"{part}: {count} tests")


if __name__ == "__main__":
    main()
