"""Per-run cost of the sandbox for a trivial program (`/bin/true`), beside plain subprocess
and a bare bwrap run (the same namespaces and the /usr view, nothing of ours; as root, and
unprivileged the way the box starts it), all in this process, interleaved in a new order
each round so that the machine's mood hits them alike. Then parts of ours measured alone:
the tmpfs work dir, the cgroup, the cgroup migration. The sandbox runs twice: as configured
by default (a spare box made ahead by a background thread between runs) and with no spare
(every box made in its run).

    sudo .venv/bin/python bench/sandbox_overhead.py [--samples 300]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.batch_latency import pct  # noqa: E402
from iguazu.sandbox import (  # noqa: E402
    Sandbox,
    Status,
    boxcgroup,  # noqa: E402
)
from iguazu.sandbox.launch import HOST_UID  # noqa: E402
from iguazu.sandbox.workdir import WorkDir  # noqa: E402

BARE = [
    "bwrap", "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc",
    "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
    "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
    "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--", "/bin/true",
]  # fmt: skip
# As the box starts it: unprivileged, as the boxes' own host uid.
AS_BOX_USER = ["setpriv", f"--reuid={HOST_UID}", f"--regid={HOST_UID}", "--clear-groups"]


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("sandbox_overhead: needs root (the sandbox refuses otherwise)")
    box = Sandbox()  # one spare box made ahead (the default)
    cold = Sandbox(spares=0)
    layout = boxcgroup.usable()
    assert layout is not None

    def full(sandbox: Sandbox = box) -> None:
        report = sandbox.run(["true"])
        assert report.status is Status.OK, report.message

    def work_dir() -> None:
        WorkDir.create(box.base_dir, size=1 << 25, inodes=1024, uid=65534, gid=65534,
                       mount=True).remove()  # fmt: skip

    def cgroup() -> None:
        made = boxcgroup.create(layout)
        boxcgroup.limit(made, memory=1 << 28, processes=65)
        made.remove()

    def migration() -> None:
        cg = boxcgroup.create(layout)
        sleeper = subprocess.Popen(["sleep", "1"])
        t0 = time.perf_counter()
        cg.join(sleeper.pid)
        spent.append((time.perf_counter() - t0) * 1000)
        cg.kill_all()
        sleeper.wait()
        cg.remove()

    spent: list[float] = []
    rows: dict[str, Callable[[], object]] = {
        "subprocess /bin/true": lambda: subprocess.run(["/bin/true"]),
        "bare bwrap (root)": lambda: subprocess.run(BARE, env={}),
        "bare bwrap (unprivileged)": lambda: subprocess.run([*AS_BOX_USER, *BARE], env={}),
        "sandbox run, full": full,
        "sandbox run, full, no spare box": lambda: full(cold),
        "  part: tmpfs work dir make+remove": work_dir,
        "  part: cgroup make+limit+remove": cgroup,
    }
    samples: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(10):
        full()
    order = list(rows)
    shuffle = random.Random(4).shuffle
    for _ in range(args.samples):
        # A new order each round: a bwrap run leaves the kernel work of tearing down its
        # network namespace behind, which slows whatever makes the next namespace.
        shuffle(order)
        for name in order:
            samples[name].append(timed(rows[name]))
        migration()
    samples["  part: cgroup join (a v1 migration)"] = spent
    # Back to back, nothing between runs: the spare is made while the previous run goes.
    for name, sandbox in (("back to back", box), ("back to back, no spare", cold)):
        n = max(50, args.samples // 2)
        t0 = time.perf_counter()
        for _ in range(n):
            full(sandbox)
        per_run = (time.perf_counter() - t0) * 1000 / n
        samples[f"sandbox run, {name} (mean)"] = [per_run]
    box.close()
    bare = pct(samples["bare bwrap (root)"], 50)
    bare_user = pct(samples["bare bwrap (unprivileged)"], 50)
    print(f"sandbox_overhead.py --samples {args.samples}")
    print(f"{'what':42} {'p50 ms':>8} {'p95 ms':>8} {'/bare root':>11} {'/bare unpriv':>12}")
    for name, values in samples.items():
        p50, p95 = pct(values, 50), pct(values, 95)
        print(f"{name:42} {p50:8.2f} {p95:8.2f} {p50 / bare:11.2f} {p50 / bare_user:12.2f}")


if __name__ == "__main__":
    main()
