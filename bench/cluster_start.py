"""The local cluster alone: LocalCluster.start() -> the job's own code running, no HTTP, no
store, no dispatcher.

* sequential, a gap between starts (50 ms by default: the quiet spell after which a cgroup v1
  migration waits for an RCU grace period), and back to back (the next start as soon as the
  previous job's code ran);
* a burst: N trivial jobs with at most K running at once, as a dispatcher would keep them;
  reports jobs/s and the agent process's CPU time per job (every thread of it: the caller,
  the zygote reader, the watchdog; they share one GIL with the dispatcher and the API).

Each sequential row splits the latency: start() returning (the agent's part) and the rest
(the child's: fork or hand-over, cgroup, log, first line, import of nothing, run).

    .venv/bin/python bench/cluster_start.py [--samples 200] [--jobs 2000] [--spares 1]
"""

from __future__ import annotations

import argparse
import inspect
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.batch_latency import pct  # noqa: E402
from iguazu.cluster.local import LocalCluster  # noqa: E402
from iguazu.jobs import JobRegistry  # noqa: E402
from iguazu.models import Invocation, State, new_id, utcnow  # noqa: E402

REGISTRY = JobRegistry.load(["bench.benchjobs"], [])
SPEC = REGISTRY.get("bench", "stamp")


def invocation(path: Path) -> Invocation:
    return Invocation(
        id=new_id(),
        family=SPEC.family,
        job_name=SPEC.name,
        queue="default",
        priority=0,
        parameters={"path": str(path)},
        state=State.STARTING,
        reserved_cpu=SPEC.reserved_cpu,
        reserved_memory=SPEC.reserved_memory,
        timeout=600,  # every invocation has one, as the watchdog's cost is part of a start
        command=SPEC.command,
        created_at=utcnow(),
    )


def stamp_of(path: Path, inv_id: str) -> float | None:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == inv_id:
            return float(value)
    return None


class Bench:
    def __init__(self, tmp: Path, spares: int | None) -> None:
        self.tmp = tmp
        self.woken = threading.Event()
        kw: dict[str, Any] = {}
        if spares is not None and "spares" in inspect.signature(LocalCluster).parameters:
            kw["spares"] = spares
        self.cluster = LocalCluster(
            agent_id=f"bench-{new_id()[:6]}",
            cpu=2048,
            memory=4096,
            log_dir=tmp / "logs",
            registry=REGISTRY,
            on_exit=self.woken.set,
            **kw,
        )
        self.ended: set[str] = set()

    def collect(self) -> None:
        for ended in self.cluster.poll():
            assert ended.state is State.SUCCEEDED, ended
            self.ended.add(ended.invocation_id)

    def wait_ended(self, inv_id: str) -> None:
        while inv_id not in self.ended:
            self.woken.wait(0.1)
            self.woken.clear()
            self.collect()

    def sequential(self, samples: int, gap: float) -> tuple[list[float], list[float]]:
        """(start() returned, job code ran), in ms from the start() call."""
        path = self.tmp / f"seq-{gap}.txt"
        returned, ran = [], []
        for _ in range(samples):
            inv = invocation(path)
            t0 = time.time()
            self.cluster.start(inv, SPEC)
            t1 = time.time()
            while (stamp := stamp_of(path, inv.id)) is None:
                time.sleep(0.0002)
            returned.append((t1 - t0) * 1000)
            ran.append((stamp - t0) * 1000)
            self.wait_ended(inv.id)
            time.sleep(gap)
        return returned, ran

    def burst(self, jobs: int, at_once: int) -> tuple[float, float, dict[str, float]]:
        """(jobs/s, agent CPU ms per job, CPU ms per job of each of its threads and of the
        whole machine)."""
        path = self.tmp / "burst.txt"
        running: set[str] = set()
        threads0 = _thread_cpu()
        machine0 = _machine_cpu()
        cpu0, t0 = _cpu(), time.monotonic()
        started = 0
        while started < jobs or running:
            self.collect()
            running -= self.ended
            while started < jobs and len(running) < at_once:
                inv = invocation(path)
                self.cluster.start(inv, SPEC)
                running.add(inv.id)
                started += 1
            if running:
                self.woken.wait(0.1)
                self.woken.clear()
        elapsed, cpu = time.monotonic() - t0, _cpu() - cpu0
        machine = (_machine_cpu() - machine0) / jobs * 1000
        threads = {
            name: (seconds - threads0.get(name, 0.0)) / jobs * 1000
            for name, seconds in _thread_cpu().items()
        }
        threads["(whole machine)"] = machine
        return jobs / elapsed, cpu / jobs * 1000, threads


def _thread_cpu() -> dict[str, float]:
    """CPU seconds of each live thread of this process, by thread name."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except (FileNotFoundError, TypeError):
            continue
        fields = stat.rsplit(")", 1)[1].split()
        out[thread.name] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def _machine_cpu() -> float:
    """CPU seconds every process on the machine used (busy time in /proc/stat): the agent,
    the zygote, the jobs, the kernel, and whatever else runs."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--at-once", type=int, default=16)
    parser.add_argument("--gap", type=float, default=0.05)
    parser.add_argument("--spares", type=int, default=None, help="LocalCluster(spares=...)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        bench = Bench(Path(d), args.spares)
        try:
            bench.sequential(10, args.gap)  # warm-up
            gaps = f"sequential, {args.gap * 1000:g} ms gaps"
            rows = [
                (gaps, *bench.sequential(args.samples, args.gap)),
                ("sequential, back to back", *bench.sequential(args.samples, 0.0)),
            ]
            rate, cpu_ms, threads = bench.burst(args.jobs, args.at_once)
        finally:
            bench.cluster.close()
        isolation = bench.cluster.isolation.value
    print(f"\nLocalCluster.start() -> job code running ({isolation}, pid {os.getpid()})")
    print(f"{'what':<30}{'start() p50':>12}{'run p50':>9}{'run p95':>9}{'run p99':>9}  ms")
    for name, returned, ran in rows:
        print(
            f"{name:<30}{pct(returned, 50):>12.2f}{pct(ran, 50):>9.2f}"
            f"{pct(ran, 95):>9.2f}{pct(ran, 99):>9.2f}"
        )
    print(f"\nburst: {args.jobs} trivial jobs, at most {args.at_once} at once")
    print(f"{'jobs per second':<30}{rate:>12.0f}")
    print(f"{'agent CPU per job (ms)':<30}{cpu_ms:>12.2f}")
    for name, ms in sorted(threads.items(), key=lambda item: -item[1]):
        print(f"{'  thread ' + name:<30}{ms:>12.2f}")


if __name__ == "__main__":
    main()
