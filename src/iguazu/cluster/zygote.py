"""A warm, pre-forked parent for job processes.

A fresh `python` that imports iguazu and the job modules costs ~130 ms here; a fork of a
process that already did costs a millisecond or two. The agent starts one zygote
(`python -m iguazu.cluster.zygote PARENT_PID`), which imports the job modules once, stays
single-threaded (so forking it is safe), and forks one child per request; the child runs
child.become_job.

Protocol, one JSON object per line. The agent writes to the zygote's stdin:

    {"sys_path": [...], "modules": [...]}             first line: where and what to import
    {"op": "start", "plan": {...}}                    fork a child for child.Plan
    {"op": "kill", "invocation_id": "..."}            SIGKILL that child and its process group

and reads from its stdout:

    {"op": "ready"} | {"op": "error", "error": "..."}  after the imports
    {"op": "started", "invocation_id": "...", "pid": 123} | {"op": "failed", ...}
    {"op": "exit", "invocation_id": "...", "pid": 123, "status": 0, "cpu": 0.1, "maxrss": 1}

Requests are answered in order. The zygote dies with the agent (PR_SET_PDEATHSIG, and EOF
on its stdin), and its children die with it (child.py sets the same). The agent's side of
the protocol is zygote_client.py.
"""

from __future__ import annotations

import importlib
import json
import os
import selectors
import signal
import sys
from typing import Any

from .child import PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG, Plan, become_job, prctl


class _Server:
    def __init__(self, requests: int, events: int) -> None:
        self.requests, self.events = requests, events
        self.children: dict[int, str] = {}  # pid -> invocation id
        self.pids: dict[str, int] = {}  # invocation id -> pid
        self.buffer = b""
        self.wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # SIGCHLD must reach the wakeup fd
        self.selector = selectors.DefaultSelector()
        self.selector.register(requests, selectors.EVENT_READ)
        self.selector.register(self.wake_r, selectors.EVENT_READ)
        # Ours, not the job's: closed in every child (a Python job never execs).
        self.inherited = (requests, events, self.wake_r, wake_w, self.selector.fileno())

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode() + b"\n"
        while data:
            data = data[os.write(self.events, data) :]

    def lines(self) -> list[bytes] | None:
        """Complete lines read from the agent; None at EOF."""
        chunk = os.read(self.requests, 1 << 16)
        if not chunk:
            return None
        *lines, self.buffer = (self.buffer + chunk).split(b"\n")
        return lines

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select():
                if key.fd == self.wake_r:
                    while _drain(self.wake_r):
                        pass
                    self.reap()
                    continue
                lines = self.lines()
                if lines is None:
                    self.kill_all()
                    return
                for line in lines:
                    self.handle(json.loads(line))

    def handle(self, message: dict[str, Any]) -> None:
        if message["op"] == "kill":
            pid = self.pids.get(message["invocation_id"])
            if pid is not None:  # still our child, not reaped: the pid cannot be reused
                _kill_group(pid)
            return
        plan = Plan.from_json(message["plan"])
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError as exc:
            self.send({"op": "failed", "invocation_id": plan.invocation_id, "error": str(exc)})
            return
        if pid == 0:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            become_job(plan, parent_pid=parent, close_fds=self.inherited)
        self.children[pid] = plan.invocation_id
        self.pids[plan.invocation_id] = pid
        self.send({"op": "started", "invocation_id": plan.invocation_id, "pid": pid})

    def reap(self) -> None:
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            invocation_id = self.children.pop(pid, None)
            if invocation_id is None:
                continue  # an orphaned grandchild we adopted as subreaper: just reaped
            del self.pids[invocation_id]
            _kill_group(pid)  # what it left in its process group goes with it
            self.send(
                {
                    "op": "exit",
                    "invocation_id": invocation_id,
                    "pid": pid,
                    "status": status,
                    "cpu": usage.ru_utime + usage.ru_stime,
                    "maxrss": usage.ru_maxrss,
                }
            )

    def kill_all(self) -> None:
        for pid in self.children:
            _kill_group(pid)


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):  # killpg alone misses a child that has not setsid yet
        try:
            kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _drain(fd: int) -> bool:
    try:
        return bool(os.read(fd, 4096))
    except BlockingIOError:
        return False


def main(argv: list[str]) -> int:
    parent = int(argv[1])
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the agent died before prctl took effect
        return 1
    # Orphans of jobs (daemons they started) are reparented to us and reaped here, instead
    # of to an init that may never reap them.
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the agent, which closes us
    # Keep the protocol off fds 0 and 1, so no stray print can corrupt it and children do
    # not inherit it.
    requests, events = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    server = _Server(requests, events)
    lines: list[bytes] = []
    while not lines:
        got = server.lines()
        if got is None:
            return 0
        lines = got
    config = json.loads(lines[0])
    sys.path[:] = config["sys_path"]
    try:
        for module in config["modules"]:
            importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001  (any import failure is a configuration error)
        server.send({"op": "error", "error": f"cannot import job module: {exc!r}"})
        return 1
    server.send({"op": "ready"})
    for line in lines[1:]:
        server.handle(json.loads(line))
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
