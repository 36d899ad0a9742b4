"""Submission -> final result through the whole platform: `iguazu up` (API, dispatcher, local
agent declaring `sandbox`), a correct C++ painter submission uploaded with the Python client,
graded by an invocation of the grading job, its result POSTed to a webhook receiver here (the
moment the submitter has it). Then several learners at once: submissions graded per minute.
Baseline in the same process: the same grading called directly (grid.grader.grade on one
Sandbox, no API, no queue, no job process).

    sudo .venv/bin/python bench/submission_latency.py [--samples 20] [--learners 4 --each 10]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.batch_latency import pct, start_system  # noqa: E402
from iguazu.client import Client  # noqa: E402
from iguazu.grid.assignment import load  # noqa: E402
from iguazu.grid.grader import Source, grade  # noqa: E402
from iguazu.sandbox import Sandbox  # noqa: E402

EXAMPLES = ROOT / "examples" / "assignments"
SOLUTION = EXAMPLES / "wall-and-clock" / "painter" / "submissions" / "ac.cpp"
PORT = 8791


class Results:
    """The webhook receiver: when each submission's result arrived, by id."""

    def __init__(self) -> None:
        self.arrived: dict[str, tuple[float, dict[str, object]]] = {}
        self.cond = threading.Condition()
        results = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with results.cond:
                    results.arrived[body["id"]] = (time.perf_counter(), body)
                    results.cond.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, sub_id: str) -> tuple[float, dict[str, object]]:
        with self.cond:
            self.cond.wait_for(lambda: sub_id in self.arrived, timeout=300)
            return self.arrived[sub_id]


def submit_once(client: Client, results: Results, learner: str) -> tuple[float, float]:
    """(ms until the result arrived, ms the server took from saving to graded)."""
    code = SOLUTION.read_bytes()
    t0 = time.perf_counter()
    sub = client.submit("wall-and-clock", learner, {"painter": ("ac.cpp", code)},
                        callback_url=results.url)  # fmt: skip
    arrived, body = results.wait(sub.id)
    assert body["state"] == "GRADED" and body["score"] == 50, body
    server = client.submission(sub.id)
    assert server.graded_at is not None
    return (arrived - t0) * 1000, (server.graded_at - server.created_at).total_seconds() * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--learners", type=int, default=4)
    parser.add_argument("--each", type=int, default=10)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("submission_latency: needs root (the agent declares sandbox only as root)")
    results = Results()
    rows: dict[str, list[float]] = {
        "submit -> result at the webhook": [],
        "  saved -> graded (server's clock)": [],
        "baseline: grade() in this process": [],
    }
    assignment = load(EXAMPLES / "wall-and-clock")
    source = Source.of_file(SOLUTION)
    with tempfile.TemporaryDirectory() as tmp, Sandbox() as sandbox:
        settings = (
            f'assignments_dir = "{EXAMPLES}"\nwebhook_secret = "bench"\n'
            "webhook_private_hosts = true\n"  # the receiver is on loopback
        )
        proc = start_system(Path(tmp), PORT, extra=settings)
        try:
            with Client(f"http://127.0.0.1:{PORT}") as client:
                submit_once(client, results, "warm-up")  # the precompiled header, once a machine
                grade(sandbox, assignment, {"painter": source})
                for i in range(args.samples):
                    total, server = submit_once(client, results, f"learner-{i}")
                    rows["submit -> result at the webhook"].append(total)
                    rows["  saved -> graded (server's clock)"].append(server)
                    t0 = time.perf_counter()
                    grade(sandbox, assignment, {"painter": source})
                    rows["baseline: grade() in this process"].append(
                        (time.perf_counter() - t0) * 1000
                    )

                done: list[float] = []

                def learner(n: int) -> None:
                    with Client(f"http://127.0.0.1:{PORT}") as own:
                        for _ in range(args.each):
                            done.append(submit_once(own, results, f"crowd-{n}")[0])

                t0 = time.perf_counter()
                threads = [
                    threading.Thread(target=learner, args=(n,)) for n in range(args.learners)
                ]
                [t.start() for t in threads]
                [t.join() for t in threads]
                elapsed = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(30)
    base = pct(rows["baseline: grade() in this process"], 50)
    print(
        f"submission_latency.py --samples {args.samples} --learners {args.learners} "
        f"--each {args.each}"
    )
    print("painter part (10 tests), C++; iguazu up on SQLite, grading job 1 core each, 2 cores")
    print(f"{'what':40} {'p50 ms':>8} {'p95 ms':>8} {'/baseline':>10}")
    for name, values in rows.items():
        p50 = pct(values, 50)
        print(f"{name:40} {p50:8.0f} {pct(values, 95):8.0f} {p50 / base:10.2f}")
    print(f"{args.learners} learners at once, {len(done)} submissions through the API:")
    print(f"  submit -> result p50 {pct(done, 50):.0f} ms, p95 {pct(done, 95):.0f} ms")
    print(f"  graded per minute: {len(done) / elapsed * 60:.0f}")


if __name__ == "__main__":
    main()
