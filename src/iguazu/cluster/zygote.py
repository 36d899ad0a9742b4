"""A warm, pre-forked parent for job processes.

A fresh `python` that imports iguazu and the job modules costs ~130 ms here; a fork of a
process that already did costs a millisecond or two. The agent starts one zygote
(`python -m iguazu.cluster.zygote PARENT_PID SPARE_SOCKET_FD`), which imports the job modules
once, stays single-threaded (so forking it is safe), and forks one child per request; the
child runs child.become_job.

Spares: the agent also asks for children forked ahead of any job (child.become_spare). Each
joins its cgroup (a cgroup v1 migration waits for an RCU grace period when none ran lately,
~8 ms here: a spare pays it between starts, not inside one), then waits on a pipe that the
agent made: the agent sends the pipe's read end along with the request, over a Unix socket
(SCM_RIGHTS), and later writes one plan into the write end it kept. A start in a spare does
not involve the zygote at all; the zygote only forks, reaps and kills.

Protocol, one JSON object per line. The agent writes to the zygote's stdin:

    {"sys_path": [...], "modules": [...]}             first line: where and what to import
    {"op": "start", "plan": {...}}                    fork a child for child.Plan
    {"op": "kill", "invocation_id": "..."}            SIGKILL that child and its process group
    {"op": "kill", "spare_id": "s1"}                  the same, for a spare (used or not)

and, over the socket, one message per spare, carrying the plan pipe's read end:

    {"op": "spare", "spare_id": "s1", "cgroup_procs": [...]}

It reads from the zygote's stdout:

    {"op": "ready"} | {"op": "error", "error": "..."}  after the imports
    {"op": "started", "invocation_id": "...", "pid": 123} | {"op": "failed", ...}
    {"op": "spare", "spare_id": "s1", "pid": 124} | {"op": "spare_failed", "spare_id": "s1"}
    {"op": "exit", "invocation_id": "...", "pid": 123, "status": 0, "cpu": 0.1, "maxrss": 1}
    {"op": "exit", "spare_id": "s1", ...}              a spare ended, with or without a job

Starts are answered in order. The zygote dies with the agent (PR_SET_PDEATHSIG, and EOF
on its stdin), and its children die with it (child.py sets the same). The agent's side of
the protocol is zygote_client.py.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import selectors
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from .child import (
    EXIT_SETUP_FAILED,
    PR_SET_CHILD_SUBREAPER,
    PR_SET_PDEATHSIG,
    Plan,
    become_job,
    become_spare,
    prctl,
)


class _Server:
    def __init__(self, requests: int, events: int, spares: socket.socket) -> None:
        self.requests, self.events, self.spare_requests = requests, events, spares
        self.children: dict[int, tuple[str, str]] = {}  # pid -> ("invocation_id", id) or spare
        self.pids: dict[tuple[str, str], int] = {}  # the reverse
        self.buffer = b""
        self.error = ""  # why the last fork failed
        self.wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # SIGCHLD must reach the wakeup fd
        self.selector = selectors.DefaultSelector()
        self.selector.register(requests, selectors.EVENT_READ)
        self.selector.register(self.wake_r, selectors.EVENT_READ)
        self.selector.register(spares, selectors.EVENT_READ)
        # Ours, not the job's: closed in every child (a Python job never execs).
        self.inherited = (
            requests,
            events,
            spares.fileno(),
            self.wake_r,
            wake_w,
            self.selector.fileno(),
        )

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
                if key.fd == self.spare_requests.fileno():
                    self.receive_spare()
                    continue
                lines = self.lines()
                if lines is None:
                    self.kill_all()
                    return
                for line in lines:
                    self.handle(json.loads(line))

    def handle(self, message: dict[str, Any]) -> None:
        if message["op"] == "kill":
            key = ("spare_id", message["spare_id"]) if "spare_id" in message else None
            pid = self.pids.get(key or ("invocation_id", message["invocation_id"]))
            if pid is not None:  # still our child, not reaped: the pid cannot be reused
                _kill_group(pid)
            return
        plan = Plan.from_json(message["plan"])
        pid = self.fork(
            lambda parent: become_job(plan, parent_pid=parent, close_fds=self.inherited)
        )
        if pid is None:
            self.send({"op": "failed", "invocation_id": plan.invocation_id, "error": self.error})
            return
        self.adopt(pid, ("invocation_id", plan.invocation_id))
        self.send({"op": "started", "invocation_id": plan.invocation_id, "pid": pid})

    def receive_spare(self) -> None:
        data, fds, _, _ = socket.recv_fds(self.spare_requests, 1 << 16, 1)
        if not data:  # the agent is gone; stdin's EOF says so too
            self.selector.unregister(self.spare_requests)
            for fd in fds:
                os.close(fd)
            return
        message = json.loads(data)
        spare_id = message["spare_id"]
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            self.send({"op": "spare_failed", "spare_id": spare_id})
            return
        plan_fd, procs = fds[0], tuple(message["cgroup_procs"])
        pid = self.fork(
            lambda parent: become_spare(plan_fd, procs, parent_pid=parent, close_fds=self.inherited)
        )
        os.close(plan_fd)  # the spare's alone: when it dies, the agent's write gets EPIPE
        if pid is None:
            self.send({"op": "spare_failed", "spare_id": spare_id})
            return
        self.adopt(pid, ("spare_id", spare_id))
        self.send({"op": "spare", "spare_id": spare_id, "pid": pid})

    def fork(self, child: Callable[[int], NoReturn]) -> int | None:
        """The new child's pid (it runs `child(our pid)`), or None with self.error set."""
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError as exc:
            self.error = str(exc)
            return None
        if pid == 0:
            try:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                child(parent)
            finally:
                os._exit(EXIT_SETUP_FAILED)  # never back into the zygote's loop
        return pid

    def adopt(self, pid: int, key: tuple[str, str]) -> None:
        self.children[pid] = key
        self.pids[key] = pid

    def reap(self) -> None:
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            key = self.children.pop(pid, None)
            if key is None:
                continue  # an orphaned grandchild we adopted as subreaper: just reaped
            del self.pids[key]
            _kill_group(pid)  # what it left in its process group goes with it
            self.send(
                {
                    "op": "exit",
                    key[0]: key[1],
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
    parent, spare_socket = int(argv[1]), int(argv[2])
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
    server = _Server(requests, events, socket.socket(fileno=spare_socket))
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
    # What is imported now is shared with every child until written to. The cyclic GC
    # writes to every object it scans: keep it off these, here and in the children, or each
    # collection copies the whole heap page by page.
    gc.freeze()
    server.send({"op": "ready"})
    for line in lines[1:]:
        server.handle(json.loads(line))
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
