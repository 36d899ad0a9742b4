"""The hostile-program suite: one folder per case under cases/, after DMOJ's test suites.

    cases/<name>/main.c | main.cpp | main.py
    cases/<name>/case.toml

case.toml:

    description = "what the program tries"
    status = "MEMORY_LIMIT"            # the Status every run must end with
    args = ["{canary}", "{port}"]      # placeholders: {canary} {hidden} {port} {marker} {run}
    stdin = "text"                     # optional
    collect = ["out.txt"]              # files of /box to read back, optional
    runs = 2                           # optional: the same program in fresh boxes, {run} = 1, 2
    [limits]                           # Limits fields (bytes, seconds); defaults below
    [expect]                           # optional checks of the report, all must hold:
    exit_code = 137                    #   exactly this exit code (and no signal)
    signal = "SIGSEGV"                 #   killed by this signal
    stdout = "exact text"
    stdout_contains = ["..."]          #   every one of these
    stdout_excludes = ["..."]          #   none of these
    stderr_contains = ["..."]
    message_contains = ["..."]
    files = { "out.txt" = "text" }     #   read back with exactly this text
    files_absent = ["out.txt"]         #   refused on read-back (a link, not a regular file)
    max_cpu_time = 1.5                 #   CPU time reported at most (seconds)
    max_stdout_bytes = 1000            #   bytes captured at most

Every run of every case is also checked for leaks: no secret of the host (canary file,
hidden tests, our environment) in anything that came out, the canary file untouched, no
connection to the host's listening port, the host process of the box's uid still alive,
no process of the box left (its {marker}), and no cgroup, work dir or mount left behind
(but the next spare box, made ahead).
"""

from __future__ import annotations

import os
import signal
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

from iguazu.sandbox import MIB, File, Limits, RunReport, Sandbox, Status

from .conftest import Compiler, Host, assert_cleaned, box_traces

CASES = Path(__file__).parent / "cases"
# Small enough that a bomb hits them in well under a second, big enough for python3.
DEFAULTS: dict[str, Any] = {
    "cpu_time": 1.0,
    "wall_time": 3.0,
    "memory": 64 * MIB,
    "processes": 32,
    "output": 64 * 1024,
    "file_size": 1 * MIB,
    "work_dir_size": 4 * MIB,
    "work_dir_files": 256,
}
EXPECT_KEYS = {
    "exit_code", "signal", "stdout", "stdout_contains", "stdout_excludes", "stderr_contains",
    "message_contains", "files", "files_absent", "max_cpu_time", "max_stdout_bytes",
}  # fmt: skip


def cases() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "case.toml").exists())


def test_the_suite_is_large_enough() -> None:
    assert len(cases()) >= 30


@pytest.mark.root
@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_case(case: Path, sandbox: Sandbox, compiler: Compiler, host: Host) -> None:
    spec = tomllib.loads((case / "case.toml").read_text())
    assert set(spec.get("expect", {})) <= EXPECT_KEYS, "unknown expectation in case.toml"
    argv, sources, mode = compiler.build(case)
    files = {name: File(data, mode) for name, data in sources.items()}
    limits = Limits(**{**DEFAULTS, **spec.get("limits", {})})
    marker = f"iguazu-case-{case.name}-{os.getpid()}"
    canary_before = (host.canary.read_text(), host.canary.stat().st_mtime_ns)
    for run in range(1, spec.get("runs", 1) + 1):
        values = {
            "canary": str(host.canary),
            "hidden": str(host.hidden),
            "port": str(host.port),
            "marker": marker,
            "run": str(run),
        }
        args = [a.format(**values) for a in spec.get("args", [])]
        before = box_traces(sandbox)
        report = sandbox.run(
            [*argv, *args],
            files=files,
            stdin=spec.get("stdin", "").encode(),
            limits=limits,
            collect=spec.get("collect", []),
        )
        where = f"{case.name} run {run}: {report.status} ({report.message})"
        assert report.status == Status(spec["status"]), f"{where}\n{_show(report)}"
        check_expectations(spec.get("expect", {}), report, where)
        check_nothing_leaked(report, host, marker, where)
        assert_cleaned(before, box_traces(sandbox), where)
    assert (host.canary.read_text(), host.canary.stat().st_mtime_ns) == canary_before
    assert sorted(p.name for p in host.canary.parent.iterdir()) == ["canary.txt"]


def check_expectations(expect: dict[str, Any], report: RunReport, where: str) -> None:
    out = report.stdout.decode(errors="replace")
    if "exit_code" in expect:
        assert (report.exit_code, report.signal) == (expect["exit_code"], None), where
    if "signal" in expect:
        assert report.signal == signal.Signals[expect["signal"]], where
    if "stdout" in expect:
        assert out == expect["stdout"], where
    for text in expect.get("stdout_contains", []):
        assert text in out, f"{where}: {text!r} not in stdout {out[:500]!r}"
    for text in expect.get("stdout_excludes", []):
        assert text not in out, f"{where}: {text!r} in stdout"
    for text in expect.get("stderr_contains", []):
        assert text in report.stderr.decode(errors="replace"), where
    for text in expect.get("message_contains", []):
        assert text in report.message, f"{where}: {text!r} not in the message"
    for name, text in expect.get("files", {}).items():
        assert report.files.get(name, b"").decode(errors="replace") == text, where
    for name in expect.get("files_absent", []):
        assert name not in report.files, f"{where}: {name} was read back"
    if "max_cpu_time" in expect:
        assert report.cpu_time <= expect["max_cpu_time"], where
    if "max_stdout_bytes" in expect:
        assert len(report.stdout) <= expect["max_stdout_bytes"], where


def check_nothing_leaked(report: RunReport, host: Host, marker: str, where: str) -> None:
    seen = [report.stdout, report.stderr, report.message.encode(), *report.files.values()]
    for secret in host.secrets:
        assert not any(secret.encode() in blob for blob in seen), f"{where}: a host secret leaked"
    assert host.connections == [], f"{where}: reached the host's port"
    assert host.sentinel.poll() is None, f"{where}: killed a host process"
    # Every process of the box died with it: the kernel may still be reaping for a moment.
    deadline = time.monotonic() + 2.0
    while (left := _processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"{where}: processes outlived the box: {left}"


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


def _show(report: RunReport) -> str:
    return (
        f"exit={report.exit_code} signal={report.signal} cpu={report.cpu_time} "
        f"wall={report.wall_time} memory={report.memory}\n"
        f"stdout={report.stdout[:800]!r}\nstderr={report.stderr[:800]!r}"
    )
