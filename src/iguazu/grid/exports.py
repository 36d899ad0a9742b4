"""A grading result in the shapes other platforms read.

* Coursera (custom graders): per part `{"fractionalScore": 0..1, "feedback": text,
  "feedbackType": "TXT"}`.
* Gradescope (autograder `results.json`): the submission's score, one test entry per test
  with its points, status and visibility.

Both carry only what a learner may see: nothing of a hidden test but its verdict.
"""

from __future__ import annotations

from typing import Any

from .grader import PartResult, SubmissionResult, TestResult
from .verdicts import Verdict


def feedback_text(part: PartResult, hidden_tests: bool = True) -> str:
    """What a learner reads about one part; `hidden_tests`: with a line (verdict, time,
    memory) for each hidden test too."""
    lines = [f"{part.part}: {part.score:g}/{part.points:g} ({part.verdict})"]
    if part.feedback:
        lines.append(part.feedback)
    if part.verdict in (Verdict.CE, Verdict.IE) and not part.tests:
        lines.append(part.compile_output or "")
    for s in part.subtasks:
        lines.append(f"subtask {s.name}: {s.score:g}/{s.points:g} ({s.verdict})")
    for t in part.tests:
        if not (t.visible or hidden_tests):
            continue
        lines.append(_test_line(t))
        if t.visible and not t.verdict.passed:
            lines += [f"  input:\n{_indent(t.input)}", f"  expected:\n{_indent(t.expected)}",
                      f"  your output:\n{_indent(t.output)}"]  # fmt: skip
            if t.diff:
                lines.append(f"  difference:\n{_indent(t.diff)}")
    return "\n".join(lines).strip() + "\n"


def coursera(part: PartResult) -> dict[str, Any]:
    if part.points:
        fraction = part.score / part.points
    else:  # a part worth nothing: passed or not
        fraction = 1.0 if part.verdict is Verdict.AC else 0.0
    return {"fractionalScore": round(fraction, 6), "feedback": feedback_text(part),
            "feedbackType": "TXT"}  # fmt: skip


def gradescope(result: SubmissionResult) -> dict[str, Any]:
    tests = []
    for part in result.parts:
        share = part.points / len(part.tests) if part.tests and not part.subtasks else 0.0
        if not part.tests:
            tests.append({"name": part.part, "score": 0.0, "max_score": part.points,
                          "status": "failed", "output": feedback_text(part),
                          "visibility": "visible"})  # fmt: skip
        for t in part.tests:
            tests.append({
                "name": f"{part.part}/{t.name}",
                "score": round(share, 6) if t.verdict.passed else 0.0,
                "max_score": round(share, 6),
                "status": "passed" if t.verdict.passed else "failed",
                "output": _test_line(t),
                "visibility": "visible" if t.visible else "hidden",
            })  # fmt: skip
        for s in part.subtasks:
            tests.append({"name": f"{part.part}/subtask {s.name}", "score": s.score,
                          "max_score": s.points, "status": "passed" if s.score else "failed",
                          "output": str(s.verdict), "visibility": "visible"})  # fmt: skip
    return {
        "score": result.score,
        # Shown to the learner at once: hidden tests appear only in their own entries.
        "output": "\n".join(feedback_text(p, hidden_tests=False) for p in result.parts),
        "visibility": "visible",
        "tests": tests,
    }


def _test_line(t: TestResult) -> str:
    name = t.name if t.visible else f"{t.name} (hidden)"
    why = f": {t.message}" if t.message else ""
    return f"test {name}: {t.verdict}, {t.cpu_time * 1000:.0f} ms, {t.memory / 2**20:.1f} MiB{why}"


def _indent(text: str | None) -> str:
    return "\n".join("    " + line for line in (text or "").splitlines())
