"""The agent's handle on its zygote process (zygote.py describes the protocol)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .child import Plan

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ChildExit:
    invocation_id: str | None = None  # a child forked for an invocation,
    spare_id: str | None = None  # or a spare (which may have run a job, or not)
    pid: int
    status: int  # as os.wait4 gives it
    cpu_seconds: float  # user + system, of the process and the children it waited for
    maxrss_kib: int


class ZygoteError(Exception):
    """The zygote could not start, died, or did not answer."""


class ZygoteNoAnswer(ZygoteError):
    """A start was asked for and no answer came: the child may have been forked."""


class Zygote:
    """The agent's handle on its zygote. From the reader thread: `on_exit` once per child
    (spares included), in the order they were reaped; `on_spare(spare_id, pid)` once a
    spare is forked, with pid None if it could not be; `on_death` once if the zygote dies."""

    def __init__(
        self,
        *,
        modules: list[str],
        on_exit: Callable[[ChildExit], None],
        on_death: Callable[[str], None],
        on_spare: Callable[[str, int | None], None] = lambda spare_id, pid: None,
        answer_within: float = 30.0,
    ) -> None:
        self._modules = modules
        self._on_exit = on_exit
        self._on_death = on_death
        self._on_spare = on_spare
        self._answer_within = answer_within
        self._write_lock = threading.Lock()
        # Spare requests carry a pipe's read end, which only a Unix socket can pass.
        self._spares, self._zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._spares_lock = threading.Lock()
        self._answers: dict[str, tuple[threading.Event, list[dict[str, Any]]]] = {}
        self._ready = threading.Event()
        self._error: str | None = None
        self.dead = False
        self._closing = False
        self._proc: subprocess.Popen[bytes] | None = None
        # The reader thread spawns the process: PR_SET_PDEATHSIG fires when the *thread*
        # that forked it ends, and this thread lives exactly as long as the zygote should.
        self._thread = threading.Thread(target=self._run, name="iguazu-zygote", daemon=True)
        self._thread.start()
        if not self._ready.wait(self._answer_within):
            self._error = f"the job modules did not import within {self._answer_within:g} s"
            self._closing = True
            if self._proc is not None:
                self._proc.kill()
        if self._error is not None:
            self._thread.join()
            self._spares.close()
            raise ZygoteError(self._error)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, plan: Plan) -> int:
        """Fork a child for `plan`; its pid. Raises ZygoteError."""
        done, answer = threading.Event(), []  # type: ignore[var-annotated]
        self._answers[plan.invocation_id] = (done, answer)
        try:
            if self.dead:
                raise ZygoteError("the zygote died")
            self._send({"op": "start", "plan": plan.to_json()})
            if not done.wait(self._answer_within):
                raise ZygoteNoAnswer(f"the zygote did not answer within {self._answer_within:g} s")
        finally:
            self._answers.pop(plan.invocation_id, None)
        if not answer:
            raise ZygoteNoAnswer("the zygote died before it answered")
        if answer[0]["op"] != "started":
            raise ZygoteError(answer[0]["error"])
        return int(answer[0]["pid"])

    def make_spare(self, spare_id: str, cgroup_procs: tuple[str, ...]) -> int:
        """Ask for a spare that joins these cgroups, then waits for one plan (a JSON line)
        on the pipe whose write end this returns: non-blocking, ours alone. Answered through
        `on_spare`. Closing the pipe without a whole plan lets the spare go, having run
        nothing. Raises ZygoteError."""
        read, write = os.pipe2(os.O_CLOEXEC)
        try:
            request = json.dumps({"spare_id": spare_id, "cgroup_procs": cgroup_procs})
            with self._spares_lock:
                socket.send_fds(self._spares, [request.encode()], [read])
        except OSError as exc:
            os.close(write)
            raise ZygoteError(f"the zygote is gone: {exc}") from exc
        finally:
            os.close(read)
        os.set_blocking(write, False)
        return write

    def kill(self, invocation_id: str | None = None, *, spare_id: str | None = None) -> None:
        """SIGKILL the child (or spare) and its process group; nothing if it already ended."""
        key = {"spare_id": spare_id} if spare_id is not None else {"invocation_id": invocation_id}
        try:
            self._send({"op": "kill", **key})
        except ZygoteError:
            pass  # a dead zygote's children died with it

    def close(self) -> None:
        """Stop the zygote (its children are killed) and the reader thread."""
        self._closing = True
        if self._proc is not None and self._proc.stdin is not None:
            with self._write_lock:
                try:
                    self._proc.stdin.close()
                except OSError:
                    pass
        self._thread.join()
        self._spares.close()

    def _send(self, message: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        with self._write_lock:
            try:
                self._proc.stdin.write(json.dumps(message).encode() + b"\n")
                self._proc.stdin.flush()
            except (OSError, ValueError) as exc:  # ValueError: stdin already closed
                raise ZygoteError(f"the zygote is gone: {exc}") from exc

    def _run(self) -> None:
        try:
            fd = self._zygote_end.fileno()
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "iguazu.cluster.zygote", str(os.getpid()), str(fd)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                pass_fds=(fd,),
            )
            self._send({"sys_path": sys.path, "modules": self._modules})
        except (OSError, ZygoteError) as exc:
            self._error = f"cannot start the zygote: {exc}"
            self._ready.set()
            return
        finally:
            self._zygote_end.close()  # the zygote's own: its death must reach our end
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                self._receive(json.loads(line))
            except Exception:  # this thread must live on: every exit comes through it
                logger.exception("cannot handle the zygote's %r", line)
        code = self._proc.wait()
        if not self._ready.is_set():
            self.dead = True
            self._error = self._error or f"the zygote exited with code {code} before it was ready"
            self._ready.set()
            return
        for done, _ in list(self._answers.values()):
            done.set()
        if not self._closing:
            self._on_death(f"exit code {code}")
        # Only now may the agent start a new zygote: what on_death ends must not include
        # invocations started on its successor. (Meanwhile a start fails: the pipe is broken.)
        self.dead = True

    def _receive(self, message: dict[str, Any]) -> None:
        op = message["op"]
        if op == "exit":
            self._on_exit(
                ChildExit(
                    invocation_id=message.get("invocation_id"),
                    spare_id=message.get("spare_id"),
                    pid=message["pid"],
                    status=message["status"],
                    cpu_seconds=message["cpu"],
                    maxrss_kib=message["maxrss"],
                )
            )
        elif op in ("started", "failed"):
            done, answer = self._answers.get(message["invocation_id"], (None, None))
            if done is not None and answer is not None:
                answer.append(message)
                done.set()
        elif op == "spare":
            self._on_spare(message["spare_id"], message["pid"])
        elif op == "spare_failed":
            self._on_spare(message["spare_id"], None)
        elif op == "ready":
            self._ready.set()
        elif op == "error":
            self._error = message["error"]
