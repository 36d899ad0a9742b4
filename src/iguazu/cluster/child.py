"""What a freshly forked child does before it becomes the job, and how it runs it.

The zygote (for the agent) and `iguazu run` (in the foreground) both fork and call
`become_job(plan, ...)` in the child; it never returns. In order:

    own session -> die with the parent -> join the cgroups -> stdio to the log
    -> rlimits -> first line -> logging -> run the Python job, or exec the command

A spare (`become_spare`, forked by the zygote before any job asks for it) does the first
three steps early, then waits on a pipe for one plan from the agent and does the rest:
joining a cgroup is the slow step (see zygote.py), and a spare has paid for it before the
job is submitted.

Exit codes a Python job's process leaves with: 0 when `run` returned, 1 on an exception (its
traceback goes to the log), EXIT_OUT_OF_MEMORY on MemoryError, SystemExit's own code. A
command job's exit code is its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import json
import logging
import os
import resource
import signal
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, NoReturn

from ..jobs import JobSpec, load_target
from ..models import Isolation

EXIT_OUT_OF_MEMORY = 12  # ENOMEM: how an rlimit-held Python job says it ran out of memory
EXIT_SETUP_FAILED = 126  # the child could not become the job (cgroup, log file, ...)
EXIT_CANNOT_EXEC = 127  # a command job's program was not found or not executable

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
MIB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class Plan:
    """Everything the child needs, as plain data (it crosses the zygote's pipe as JSON)."""

    invocation_id: str
    family: str
    job_name: str
    target: str | None = None  # "module:Class" of a Python job
    argv: tuple[str, ...] = ()  # a command job's program and arguments
    parameters: dict[str, Any] = field(default_factory=dict)
    isolation: Isolation = Isolation.NONE
    reserved_memory: int = 0  # MiB; the address-space limit in rlimit mode
    cgroup_procs: tuple[str, ...] = ()  # cgroup.procs files to write our pid into
    log_path: str | None = None  # None: stdout and stderr stay where they are (a terminal)
    env: dict[str, str] = field(default_factory=dict)  # Settings.platform_env (platform jobs)

    @classmethod
    def of(
        cls,
        spec: JobSpec,
        *,
        invocation_id: str,
        parameters: dict[str, Any],
        isolation: Isolation,
        reserved_memory: int | None = None,
        cgroup_procs: tuple[str, ...] = (),
        log_path: str | None = None,
        platform_env: dict[str, str] | None = None,
    ) -> Plan:
        """The plan to run `spec` as this invocation; `reserved_memory` is the invocation's
        when it differs from the job's current one (reserved at submit). `platform_env`
        reaches the job only when it is one of the platform's own (`spec.platform`)."""
        return cls(
            invocation_id=invocation_id,
            family=spec.family,
            job_name=spec.name,
            target=spec.target,
            argv=spec.argv,
            parameters=parameters,
            isolation=isolation,
            reserved_memory=spec.reserved_memory if reserved_memory is None else reserved_memory,
            cgroup_procs=cgroup_procs,
            log_path=log_path,
            env=dict(platform_env or {}) if spec.platform else {},
        )

    def to_json(self) -> dict[str, Any]:
        # Not dataclasses.asdict: its deep copy of the parameters is a fifth of a start.
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {**data, "isolation": self.isolation.value}

    def to_line(self) -> bytes:
        """One JSON line, as a spare reads it (see become_spare)."""
        return json.dumps(self.to_json()).encode() + b"\n"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            **{
                **data,
                "argv": tuple(data.get("argv", ())),
                "cgroup_procs": tuple(data.get("cgroup_procs", ())),
                "isolation": Isolation(data["isolation"]),
            }
        )


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)  # once, in the zygote: children inherit it


def prctl(option: int, value: int) -> None:
    if _libc().prctl(option, value, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def become_job(plan: Plan, *, parent_pid: int, close_fds: tuple[int, ...] = ()) -> NoReturn:
    """Run in a forked child: set up, then run the job. Always leaves through os._exit, so
    the parent's atexit handlers and buffered output are never run twice."""
    try:
        _detach(parent_pid)
        _join(plan.cgroup_procs)
        _close(close_fds)
        _prepare(plan)
    except BaseException:  # noqa: BLE001  (whatever it is, the job must not run half set up)
        _report_exception("iguazu: could not set up the job process")
        _leave(EXIT_SETUP_FAILED)
    _run(plan)


def become_spare(
    plan_fd: int,
    cgroup_procs: tuple[str, ...],
    *,
    parent_pid: int,
    close_fds: tuple[int, ...] = (),
) -> NoReturn:
    """Run in a forked child: set up what does not depend on the job, wait for one plan on
    `plan_fd`, then become that job. A spare runs one job at most: it reads one plan and
    never comes back here. EOF before a whole plan (the agent let it go) ends it quietly;
    nothing ran."""
    try:
        _detach(parent_pid)
        _close(close_fds)  # before waiting: a spare must hold none of the zygote's pipes
        _join(cgroup_procs)
        _warm_up()
        plan = _read_plan(plan_fd)
    except BaseException:  # noqa: BLE001  (no job yet: the agent's stderr is still ours)
        _report_exception("iguazu: a spare job process could not be set up")
        os._exit(EXIT_SETUP_FAILED)
    if plan is None:
        os._exit(0)
    try:
        if plan.cgroup_procs != cgroup_procs:  # not what the agent sends; joined if it were
            _join(plan.cgroup_procs)
        _prepare(plan)
    except BaseException:  # noqa: BLE001  (whatever it is, the job must not run half set up)
        _report_exception("iguazu: could not set up the job process")
        _leave(EXIT_SETUP_FAILED)
    _run(plan)


def _warm_up() -> None:
    """Walk the start's own paths while waiting. A forked Python copies each page it writes
    to (reference counts are writes), so the first use of code and data after a fork costs
    page faults: taken here, before the plan comes, they are off a start's critical path.
    (The copies are charged to the spare's cgroup, inside the job's limit, as they would be
    if the job made them.)"""
    Plan.from_json(json.loads(_WARM_UP_PLAN))
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr, force=True)


_WARM_UP_PLAN = Plan(
    invocation_id="warm-up", family="f", job_name="j", parameters={"a": 1}, log_path="/dev/null"
).to_line()


def _read_plan(fd: int) -> Plan | None:
    """One newline-terminated JSON plan, or None at EOF before its end: a plan cut short
    (the pipe closed halfway) is never taken for one."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return None
        data += chunk
    os.close(fd)
    return Plan.from_json(json.loads(data))


def _run(plan: Plan) -> NoReturn:
    if plan.argv:
        _exec(plan)
    _leave(_run_python(plan))


def _detach(parent_pid: int) -> None:
    # The agent's settings (database URL, API token) are not the job's business.
    for name in [n for n in os.environ if n.startswith("IGUAZU_")]:
        del os.environ[name]
    os.setsid()  # a process group of its own: killpg reaches everything it did not move away
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(EXIT_SETUP_FAILED)


def _join(cgroup_procs: tuple[str, ...]) -> None:
    # Before anything else, so that all the job allocates and forks is charged and held to
    # the limits. With cgroup v1 the first migration after a quiet spell waits for an RCU
    # grace period (~8 ms here): the reason spares exist.
    pid = str(os.getpid())
    for procs in cgroup_procs:
        with open(procs, "w") as f:
            f.write(pid)


def _close(fds: tuple[int, ...]) -> None:
    for fd in fds:
        os.close(fd)


def _prepare(plan: Plan) -> None:
    pid = os.getpid()
    os.environ.update(plan.env)
    _redirect(plan.log_path)
    notes = _limit(plan) if plan.isolation is Isolation.RLIMIT else ""
    first = (
        f"iguazu: family={plan.family} job={plan.job_name} invocation={plan.invocation_id}"
        f" pid={pid} isolation={plan.isolation.value}\n"
    )
    os.write(2, (first + notes).encode())
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr, force=True)


def _redirect(log_path: str | None) -> None:
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    if log_path is not None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        try:
            log = os.open(log_path, flags, 0o644)
        except FileNotFoundError:  # its directory was removed since the agent made it
            os.makedirs(os.path.dirname(log_path), exist_ok=True)
            log = os.open(log_path, flags, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
    # Line-buffered, so that print() and logging keep their order in the one log file.
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]


def _limit(plan: Plan) -> str:
    """rlimit isolation (not root): cap the address space; nothing holds CPU. A command
    job's limit is set just before exec (see _exec)."""
    if plan.argv:
        return _note(f"address space limited to {plan.reserved_memory} MiB")
    # A forked Python job already maps the interpreter and every imported module, which in
    # cgroup mode are charged to the parent it shares them with; give the job its
    # reservation on top of them, as a cgroup would.
    _set_address_space_limit(plan.reserved_memory * MIB + _address_space())
    return _note(f"address space limited to {plan.reserved_memory} MiB beyond the interpreter's")


def _set_address_space_limit(soft: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _note(memory: str) -> str:
    return f"iguazu: isolation=rlimit: {memory}; CPU is not reserved (that takes a cgroup)\n"


def _address_space() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _exec(plan: Plan) -> NoReturn:
    env = dict(
        os.environ,
        IGUAZU_PARAMETERS=json.dumps(plan.parameters),
        IGUAZU_INVOCATION_ID=plan.invocation_id,
    )
    # Python ignores these; a program expects the defaults (as subprocess restores them).
    for signum in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    if plan.isolation is Isolation.RLIMIT:
        # Set last: from here on, the limit applies to this Python process too.
        _set_address_space_limit(plan.reserved_memory * MIB)
    try:
        os.execvpe(plan.argv[0], plan.argv, env)
    except OSError as exc:
        os.write(2, f"iguazu: cannot run {plan.argv[0]!r}: {exc.strerror}\n".encode())
    _leave(EXIT_CANNOT_EXEC)


def _run_python(plan: Plan) -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ["IGUAZU_INVOCATION_ID"] = plan.invocation_id  # as command jobs see it
    try:
        cls = load_target(plan.target or "")
        model = getattr(cls, "Parameters", None)
        parameters = model.model_validate(plan.parameters) if model else dict(plan.parameters)
        cls().run(parameters)
        return 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except MemoryError:
        _report_exception(f"iguazu: out of memory (reserved_memory {plan.reserved_memory} MiB)")
        return EXIT_OUT_OF_MEMORY
    except BaseException:  # noqa: BLE001  (any exception is the job failing; log it)
        _report_exception("")
        return 1


def _report_exception(headline: str) -> None:
    # stderr itself may be what failed: then there is nowhere left to say it.
    with contextlib.suppress(BaseException):
        traceback.print_exc()
        if headline:
            print(headline, file=sys.stderr)


def _leave(code: int) -> NoReturn:
    with contextlib.suppress(BaseException):  # a closed or broken stdout must not stop the exit
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code & 0xFF)
