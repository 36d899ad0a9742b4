"""Submit -> running latency and sustained throughput of the embedded system.

Starts `iguazu up` (SQLite, one local agent, cgroup isolation when root) as a separate
process on a loopback port, then, through the HTTP client:

* latency: submits a trivial job, one at a time, and takes the time from just before the
  POST until the job's own code stamps the clock (p50/p95/p99), with two stages on the way:
  the POST answered, and the RUNNING state recorded (the invocation's started_at, which the
  dispatcher writes once the cluster said the process started);
* throughput: submits 2,000 trivial jobs from 8 client threads and counts invocations/s from
  the first submit until the last one has ended.

Baselines in the same run: starting `/bin/true` and `python -c pass` with subprocess.

    .venv/bin/python bench/batch_latency.py [--samples 200] [--jobs 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from iguazu.client import Client
from iguazu.models import InvocationRequest

ROOT = Path(__file__).resolve().parents[1]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def baseline(argv: list[str], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def start_system(tmp: Path, port: int, extra: str = "") -> subprocess.Popen[bytes]:
    """`iguazu up` from this tree over a data dir in `tmp`; `extra`: more top-level settings."""
    config = tmp / "iguazu.toml"
    config.write_text(
        f'data_dir = "{tmp}"\nport = {port}\n{extra}'
        '[jobs]\nmodules = ["iguazu.examples", "bench.benchjobs"]\n'
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "iguazu", "up", "--config", str(config)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"},  # this tree
        stdout=open(tmp / "up.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"iguazu up did not start; see {tmp / 'up.log'}")


def stamps(path: Path) -> dict[str, float]:
    if not path.exists():
        return {}
    return {k: float(v) for k, v in (line.split() for line in path.read_text().splitlines())}


def latency(client: Client, tmp: Path, samples: int) -> dict[str, list[float]]:
    """ms from just before the POST to: its answer, RUNNING recorded, the job's code."""
    path = tmp / "latency.txt"
    out: dict[str, list[float]] = {"answered": [], "running": [], "code": []}
    for _ in range(samples):
        t0 = time.time()
        inv_id = client.create(
            InvocationRequest(family="bench", job_name="stamp", parameters={"path": str(path)})
        )
        out["answered"].append((time.time() - t0) * 1000)
        while inv_id not in (seen := stamps(path)):
            time.sleep(0.0005)
        out["code"].append((seen[inv_id] - t0) * 1000)
        ended = client.wait(inv_id)
        if ended.started_at is not None:
            out["running"].append((ended.started_at.timestamp() - t0) * 1000)
    return out


def throughput(url: str, tmp: Path, jobs: int) -> tuple[float, float]:
    path = tmp / "throughput.txt"
    clients = [Client(url) for _ in range(8)]
    request = InvocationRequest(family="bench", job_name="stamp", parameters={"path": str(path)})
    t0 = time.time()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: clients[i % 8].create(request), range(jobs)))
    submitted = time.time() - t0
    for inv_id in reversed(ids):
        clients[0].wait(inv_id, timeout=600)
    elapsed = time.time() - t0
    assert len(stamps(path)) == jobs
    return jobs / elapsed, jobs / submitted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--port", type=int, default=18123)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        true_ms = baseline(["/bin/true"], 50)
        python_ms = baseline([sys.executable, "-c", "pass"], 20)
        proc = start_system(tmp, args.port)
        try:
            url = f"http://127.0.0.1:{args.port}"
            client = Client(url)
            latency(client, tmp, 10)  # warm-up
            lat = latency(client, tmp, args.samples)
            rate, submit_rate = throughput(url, tmp, args.jobs)
        finally:
            proc.terminate()
            proc.wait(30)
        isolation = "cgroup" if os.geteuid() == 0 else "rlimit"
    base = statistics.median(python_ms)
    print(f"\nsubmit -> job code running, {args.samples} sequential trivial jobs ({isolation})")
    print(f"{'what':<38}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p50/python':>12}")
    for name, xs in [
        ("iguazu submit -> job code running", lat["code"]),
        ("  stage: POST answered", lat["answered"]),
        ("  stage: RUNNING recorded", lat["running"]),
        ("baseline: subprocess /bin/true", true_ms),
        ("baseline: subprocess python -c pass", python_ms),
    ]:
        print(
            f"{name:<38}{pct(xs, 50):>9.1f}{pct(xs, 95):>9.1f}{pct(xs, 99):>9.1f}"
            f"{pct(xs, 50) / base:>12.2f}"
        )
    print(f"\nthroughput, {args.jobs} trivial jobs from 8 client threads")
    print(f"{'submitted per second (HTTP)':<38}{submit_rate:>9.0f}")
    print(f"{'ended per second (submit -> all ended)':<38}{rate:>9.0f}")


if __name__ == "__main__":
    main()
