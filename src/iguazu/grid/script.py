"""The script grader: course staff's own program decides, Coursera style.

Its folder (the script and whatever lies beside it: data, reference outputs) goes into a
box of its own, never into the learner's. It is asked twice:

    <run> plan                  with submission/<the learner's file> beside it; prints
                                {"runs": [{"name": "t1", "stdin": "1 2\\n"}, ...]}
    <run> judge runs.json       runs.json holds each run's end: {"runs": [{"name", "status",
                                "exit_code", "signal", "stdout", "stderr", "cpu_time",
                                "memory"}]}; it writes feedback.json:
                                {"fractionalScore": 0.0 to 1.0, "feedback": "text"}

Between the two, each planned run of the learner's program goes in a new box with the part's
limits and that stdin. The learner's output reaches the grader only as data in runs.json; the
learner can neither see the grader's files nor write its feedback. Any failure of the grader
(no plan, a bad one, no feedback) is IE, never the learner's fault.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..sandbox import KIB, MIB, File, Limits, Sandbox, Status
from .build import Build, build, run
from .languages import language, source_suffixes
from .verdicts import Verdict, of_run

GRADER_LIMITS = Limits(
    cpu_time=20,
    wall_time=60,
    memory=512 * MIB,
    processes=32,
    output=16 * MIB,
    file_size=16 * MIB,
    work_dir_size=128 * MIB,
    work_dir_files=2048,
)
MAX_RUNS = 500
RUN_SHOWN = 1 * MIB  # of a run's stdout handed to the grader
ERR_SHOWN = 64 * KIB


class GraderFailed(Exception):
    """The course staff's grader did not do its part; the message says how (for staff)."""


def folder_files(script: Path) -> dict[str, File]:
    """The script's folder, as files for the grader's box (subfolders kept)."""
    files = {}
    for path in sorted(script.parent.rglob("*")):
        if path.is_file() and not path.is_symlink():
            files[str(path.relative_to(script.parent))] = File.copy_of(path)
    return files


def judge(
    sandbox: Sandbox, script: Path, learner: Build, source_name: str, limits: Limits
) -> tuple[float, str, list[dict[str, Any]]]:
    """(fractionalScore, feedback, the runs' ends). Raises GraderFailed."""
    grader = build(sandbox, language(source_suffixes()[script.suffix]), script.read_bytes())
    if not grader.ok:
        raise GraderFailed(f"the grader does not build: {grader.output[:2000]}")
    own = folder_files(script)
    submitted = {f"submission/{source_name}": learner.files[source_name]}
    planned = run(sandbox, grader, stdin=b"", limits=GRADER_LIMITS, args=("plan",),
                  files={**own, **submitted})  # fmt: skip
    runs = _plan(planned.status, planned.stdout, planned.message)
    ends = []
    for name, stdin in runs:
        report = run(sandbox, learner, stdin=stdin.encode(), limits=limits)
        ends.append({
            "name": name,
            "status": str(of_run(report.status) or "OK"),
            "exit_code": report.exit_code,
            "signal": report.signal_name,
            "stdout": report.stdout[:RUN_SHOWN].decode(errors="replace"),
            "stderr": report.stderr[:ERR_SHOWN].decode(errors="replace"),
            "cpu_time": report.cpu_time,
            "memory": report.max_rss or report.memory,
        })  # fmt: skip
    given = json.dumps({"runs": ends}).encode()
    judged = run(
        sandbox, grader, stdin=b"", limits=GRADER_LIMITS, args=("judge", "runs.json"),
        files={**own, "runs.json": File(given)}, collect=("feedback.json",),
    )  # fmt: skip
    if judged.status is not Status.OK:
        raise GraderFailed(f"the grader's judge ended {judged.status}: {judged.message}")
    return (*_feedback(judged.files.get("feedback.json")), ends)


def _plan(status: Status, stdout: bytes, message: str) -> list[tuple[str, str]]:
    if status is not Status.OK:
        raise GraderFailed(f"the grader's plan ended {status}: {message}")
    try:
        runs = json.loads(stdout)["runs"]
        plan = [(str(r["name"]), str(r.get("stdin", ""))) for r in runs]
    except (ValueError, KeyError, TypeError) as exc:
        raise GraderFailed(f"the grader's plan is not {{'runs': [...]}}: {exc}") from None
    names = [name for name, _ in plan]
    if not plan or len(plan) > MAX_RUNS or len(set(names)) != len(names):
        raise GraderFailed(f"the grader must plan 1 to {MAX_RUNS} runs with distinct names")
    return plan


def _feedback(data: bytes | None) -> tuple[float, str]:
    if data is None:
        raise GraderFailed("the grader wrote no feedback.json")
    try:
        found = json.loads(data)
        fraction, text = float(found["fractionalScore"]), str(found.get("feedback", ""))
    except (ValueError, KeyError, TypeError) as exc:
        raise GraderFailed(
            f"feedback.json is not {{'fractionalScore', 'feedback'}}: {exc}"
        ) from None
    if not (math.isfinite(fraction) and 0 <= fraction <= 1):
        raise GraderFailed(f"fractionalScore must be within 0 and 1, not {fraction}")
    return fraction, text


def verdict_of(fraction: float, ends: list[dict[str, Any]]) -> Verdict:
    if fraction == 1:
        return Verdict.AC
    failed = [Verdict(e["status"]) for e in ends if e["status"] != "OK"]
    return failed[0] if failed else Verdict.WA
