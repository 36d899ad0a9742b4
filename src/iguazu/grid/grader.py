"""The test-case grader: a learner's source for one part, compiled in its own box, run once
per test in a box of its own with the test's input through a pipe, its output compared
outside. Hidden tests never enter a box and nothing of their data reaches the result: no
input, no expected output, no checker message (it quotes tokens); visible ones show all.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..sandbox import KIB, MIB, File, Limits, Sandbox, Status
from . import script
from .assignment import Assignment, Part, Test
from .build import Build, build, run
from .checkers import PROGRAM_VERDICTS, Check
from .languages import language, source_suffixes
from .verdicts import Verdict, of_run

logger = logging.getLogger(__name__)

SHOWN = 4 * KIB  # bytes of a visible test's input, expected and actual output in a result
COMPILE_SHOWN = 16 * KIB  # of the compiler's messages
EPSILON = 1e-9  # scores are sums of fractions of points: compared with this much room


@dataclass(frozen=True)
class TestResult:
    name: str
    verdict: Verdict
    cpu_time: float  # seconds
    memory: int  # bytes, the program's peak resident set
    visible: bool
    message: str = ""  # why: for hidden tests only the run's end (a signal), never a checker's
    input: str | None = None  # visible tests only, capped
    expected: str | None = None
    output: str | None = None
    skipped: bool = False  # not run: its subtasks had failed (the verdict is theirs)
    diff: str | None = None  # visible tests that failed: expected against the output


@dataclass(frozen=True)
class SubtaskResult:
    name: str
    points: float
    score: float
    verdict: Verdict  # its first test that is not AC, else AC


@dataclass(frozen=True)
class PartResult:
    part: str
    language: str
    points: float
    score: float
    verdict: Verdict  # the first test that is not AC (CE, IE for the whole part), else AC
    compile_output: str = ""
    tests: list[TestResult] = field(default_factory=list)
    subtasks: list[SubtaskResult] = field(default_factory=list)
    feedback: str = ""  # a grader script's words to the learner


def grade_part(sandbox: Sandbox, part: Part, language_id: str, source: bytes) -> PartResult:
    def whole(verdict: Verdict, said: str) -> PartResult:
        return PartResult(part.id, language_id, part.points, 0.0, verdict, said[:COMPILE_SHOWN])

    if language_id not in part.languages:
        return whole(Verdict.CE, f"{language_id} is not accepted here: {', '.join(part.languages)}")
    try:
        lang = language(language_id)
    except ConfigError as exc:
        return whole(Verdict.CE, exc.message)
    checker = None
    if part.checker.source is not None:
        checker = _build_checker(sandbox, part.checker.source)
        if checker is None:
            return whole(Verdict.IE, "internal error: the part's checker could not be built")
    built = build(sandbox, lang, source)
    if not built.ok:
        return whole(Verdict.IE if built.internal else Verdict.CE, built.output)
    if part.grader is not None:
        return _graded_by_script(sandbox, part, built, language_id)
    results = _run_tests(sandbox, part, built, checker)
    by_name = {r.name: r for r in results}
    subtasks = [
        SubtaskResult(
            s.name,
            s.points,
            s.points if all(by_name[t].verdict.passed for t in s.tests) else 0.0,
            _first_failure([by_name[t] for t in s.tests]),
        )
        for s in part.subtasks
    ]
    if subtasks:
        score = sum(s.score for s in subtasks)
    else:
        score = part.points * sum(r.verdict.passed for r in results) / len(results)
    return PartResult(
        part.id,
        language_id,
        part.points,
        score,
        _first_failure(results),
        compile_output=built.output[:COMPILE_SHOWN],
        tests=results,
        subtasks=subtasks,
    )


def _run_tests(
    sandbox: Sandbox, part: Part, built: Build, checker: Build | None
) -> list[TestResult]:
    """Every test, but those whose subtasks have all failed already: a subtask scores all
    or nothing, so the rest of it would change nothing (and a TLE costs its time limit)."""
    within = {t.name: [s for s in part.subtasks if t.name in s.tests] for t in part.tests}
    failed: dict[str, Verdict] = {}  # subtask -> its first failing verdict
    results = []
    for test in part.tests:
        subtasks = within[test.name]
        if subtasks and all(s.name in failed for s in subtasks):
            first = subtasks[0].name
            results.append(
                TestResult(
                    test.name,
                    failed[first],
                    0.0,
                    0,
                    test.visible,
                    f"not run: subtask {first} failed",
                    skipped=True,
                )
            )
            continue
        result = _run_test(sandbox, part, built, test, checker)
        if not result.verdict.passed:
            for s in subtasks:
                failed.setdefault(s.name, result.verdict)
        results.append(result)
    return results


def _run_test(
    sandbox: Sandbox, part: Part, built: Build, test: Test, checker: Build | None
) -> TestResult:
    given, expected = test.input.read_bytes(), test.output.read_bytes()
    limits = built.language.limits(
        time_ms=part.time_limit_ms,
        memory_kb=part.memory_limit_kb,
        output=max(2 * len(expected), 1 * MIB),
    )
    report = run(sandbox, built, stdin=given, limits=limits)
    verdict = of_run(report.status)
    # A hidden test says how the run ended but never an exit code: a program could exit
    # with its input's bytes. (Its CPU time and memory remain a side channel, as on every
    # judge that shows them.)
    message = report.message if test.visible or report.exit_code is None else ""
    if verdict is None:
        if checker is None:
            check = part.checker.check(expected, report.stdout)
        else:
            check = _run_checker(sandbox, checker, given, report.stdout, expected)
        verdict = check.verdict
        message = check.message if test.visible else ""  # it quotes the expected output
    memory = report.max_rss or report.memory  # a killed run: the box's peak, no rusage
    result = TestResult(test.name, verdict, report.cpu_time, memory, test.visible, message)
    if not test.visible:
        return result
    return replace(
        result,
        input=_shown(given),
        expected=_shown(expected),
        output=_shown(report.stdout),
        diff="" if verdict.passed else _diff(expected, report.stdout),
    )


def _graded_by_script(sandbox: Sandbox, part: Part, built: Build, language_id: str) -> PartResult:
    assert part.grader is not None
    limits = built.language.limits(time_ms=part.time_limit_ms, memory_kb=part.memory_limit_kb)
    try:
        fraction, feedback, ends = script.judge(
            sandbox, part.grader, built, built.language.source, limits
        )
    except script.GraderFailed as exc:
        logger.warning("grader script of part %s failed: %s", part.id, exc)
        return PartResult(part.id, language_id, part.points, 0.0, Verdict.IE,
                          "internal error: the part's grader failed")  # fmt: skip
    tests = [
        TestResult(e["name"], Verdict.AC if e["status"] == "OK" else Verdict(e["status"]),
                   e["cpu_time"], e["memory"], visible=False)
        for e in ends
    ]  # fmt: skip
    return PartResult(
        part.id, language_id, part.points, fraction * part.points,
        script.verdict_of(fraction, ends), built.output[:COMPILE_SHOWN], tests,
        feedback=feedback,
    )  # fmt: skip


def _build_checker(sandbox: Sandbox, source: Path) -> Build | None:
    built = build(sandbox, language(source_suffixes()[source.suffix]), source.read_bytes())
    return built if built.ok else None


def _run_checker(
    sandbox: Sandbox, checker: Build, given: bytes, output: bytes, expected: bytes
) -> Check:
    """Course staff's checker in a box of its own: exit 0 AC, 1 WA, 2 PE; else ours (IE)."""
    room = 2 * (len(given) + len(output) + len(expected)) + 16 * MIB
    files = {"input.txt": File(given), "output.txt": File(output), "expected.txt": File(expected)}
    report = run(
        sandbox,
        checker,
        stdin=b"",
        limits=Limits(cpu_time=10, wall_time=20, memory=512 * MIB, work_dir_size=room),
        args=("input.txt", "output.txt", "expected.txt"),
        files=files,
    )
    said = (report.stdout + report.stderr).decode(errors="replace").strip()
    first = said.splitlines()[0][:200] if said else ""
    exited = report.exit_code if report.status in (Status.OK, Status.RUNTIME_ERROR) else None
    if exited in PROGRAM_VERDICTS:
        return Check(PROGRAM_VERDICTS[exited], first)
    return Check(Verdict.IE, f"internal error: the checker failed ({report.message})")


def _first_failure(results: list[TestResult]) -> Verdict:
    return next((r.verdict for r in results if not r.verdict.passed), Verdict.AC)


def _diff(expected: bytes, actual: bytes) -> str:
    """A unified diff, expected against the learner's output (capped like the rest)."""
    lines = difflib.unified_diff(
        _shown(expected).splitlines(), _shown(actual).splitlines(),
        "expected", "your output", lineterm="", n=2,
    )  # fmt: skip
    return "\n".join(lines)[:SHOWN]


def _shown(data: bytes) -> str:
    text = data[:SHOWN].decode("utf-8", errors="replace")
    return text + ("\n[...]" if len(data) > SHOWN else "")


@dataclass(frozen=True)
class SubmissionResult:
    assignment: str
    score: float
    total: float
    pass_mark: float
    passed: bool  # the pass mark is met
    parts: list[PartResult]

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        """The result `to_json` gave (as a submission stores it)."""
        parts = []
        for p in data["parts"]:
            tests = [TestResult(**{**t, "verdict": Verdict(t["verdict"])}) for t in p["tests"]]
            subtasks = [
                SubtaskResult(**{**s, "verdict": Verdict(s["verdict"])}) for s in p["subtasks"]
            ]
            parts.append(
                PartResult(
                    **{**p, "verdict": Verdict(p["verdict"]), "tests": tests, "subtasks": subtasks}
                )
            )
        return cls(**{**data, "parts": parts})


def grade(sandbox: Sandbox, assignment: Assignment, sources: dict[str, Source]) -> SubmissionResult:
    """Grade the parts given (part id -> language and source); parts not given score 0."""
    parts = [
        grade_part(sandbox, assignment.part(pid), s.language, s.code) for pid, s in sources.items()
    ]
    score = sum(p.score for p in parts)
    return SubmissionResult(
        assignment.title, score, assignment.total, assignment.pass_mark,
        score >= assignment.pass_mark - EPSILON, parts,
    )  # fmt: skip


@dataclass(frozen=True)
class Source:
    language: str
    code: bytes

    @classmethod
    def of_file(cls, path: Path) -> Source:
        """The language from the file's suffix (.c .cpp .cc .py .java); ValueError otherwise."""
        suffixes = source_suffixes()
        if path.suffix not in suffixes:
            known = ", ".join(sorted(suffixes))
            raise ValueError(
                f"{path.name}: cannot tell its language from {path.suffix!r} ({known})"
            )
        return cls(suffixes[path.suffix], path.read_bytes())
