"""Grading a correct C++ submission of the painter problem (the shipped example): submission
-> final result (compile in its box, then every test in a box of its own), one after
another, and then several learners at once. Baseline in the same process: the same compile
and the same tests with plain subprocess, no sandbox.

    sudo .venv/bin/python bench/grade_latency.py [--samples 20] [--learners 4 --each 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.batch_latency import pct  # noqa: E402
from iguazu.grid.assignment import load  # noqa: E402
from iguazu.grid.build import build  # noqa: E402
from iguazu.grid.grader import Source, grade  # noqa: E402
from iguazu.grid.languages import language  # noqa: E402
from iguazu.grid.verdicts import Verdict  # noqa: E402
from iguazu.sandbox import Sandbox  # noqa: E402

EXAMPLE = ROOT / "examples" / "assignments" / "wall-and-clock"
SOLUTION = EXAMPLE / "painter" / "submissions" / "ac.cpp"


def plain(source: Path, tests: list[Path]) -> float:
    """ms: g++ and the tests with subprocess, no box (what the sandbox adds is the rest)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        binary = Path(work) / "main"
        subprocess.run(["g++", "-std=gnu++17", "-O2", "-pipe", "-o", binary, source], check=True)
        for test in tests:
            subprocess.run([binary], input=test.read_bytes(), capture_output=True, check=True)
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--learners", type=int, default=4)
    parser.add_argument("--each", type=int, default=10)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("grade_latency: needs root (the sandbox refuses otherwise)")
    assignment = load(EXAMPLE)
    part = assignment.part("painter")
    source = Source.of_file(SOLUTION)
    inputs = [t.input for t in part.tests]
    with Sandbox() as sandbox:

        def once() -> float:
            t0 = time.perf_counter()
            result = grade(sandbox, assignment, {"painter": source})
            assert result.parts[0].verdict is Verdict.AC, result.parts[0]
            return (time.perf_counter() - t0) * 1000

        once()  # the precompiled header, made once per machine, is not part of a submission
        rows: dict[str, list[float]] = {"submission -> result": [], "  compile alone": [],
                                        "baseline: g++ and tests, no sandbox": []}  # fmt: skip
        for _ in range(args.samples):
            rows["submission -> result"].append(once())
            t0 = time.perf_counter()
            build(sandbox, language("cpp"), source.code)
            rows["  compile alone"].append((time.perf_counter() - t0) * 1000)
            rows["baseline: g++ and tests, no sandbox"].append(plain(SOLUTION, inputs))

        done: list[float] = []

        def learner() -> None:
            for _ in range(args.each):
                done.append(once())

        t0 = time.perf_counter()
        threads = [threading.Thread(target=learner) for _ in range(args.learners)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        elapsed = time.perf_counter() - t0

    base = pct(rows["baseline: g++ and tests, no sandbox"], 50)
    print(
        f"grade_latency.py --samples {args.samples} --learners {args.learners} --each {args.each}"
    )
    print(f"painter part: {len(part.tests)} tests, C++ (g++ -O2, bits/stdc++.h precompiled)")
    print(f"{'what':44} {'p50 ms':>8} {'p95 ms':>8} {'/baseline':>10}")
    for name, values in rows.items():
        p50 = pct(values, 50)
        print(f"{name:44} {p50:8.0f} {pct(values, 95):8.0f} {p50 / base:10.2f}")
    print(f"{args.learners} learners at once, {len(done)} submissions:")
    print(f"  submission -> result p50 {pct(done, 50):.0f} ms, p95 {pct(done, 95):.0f} ms")
    print(f"  graded per minute: {len(done) / elapsed * 60:.0f}")


if __name__ == "__main__":
    main()
