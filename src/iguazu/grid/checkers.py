"""Comparing a program's output with the expected one, outside any box.

    exact    the same lines (line ends and trailing blanks aside); only whitespace differing
             is PE, anything else WA
    tokens   the same whitespace-separated tokens
    floats   the same tokens, numbers equal within an absolute or a relative tolerance
    program  course staff's own checker, compiled and run in a box of its own (grader.py):
             it gets input.txt, output.txt (the learner's) and expected.txt as arguments
             and exits 0 for AC, 1 for WA, 2 for PE; its first line of output is the
             message; any other ending is an internal error, never the learner's fault

Each returns a Check: the verdict and, for a learner's eyes on visible tests, where the
first difference is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .verdicts import Verdict

SHOWN = 60  # characters of a token or line quoted in a message


@dataclass(frozen=True)
class Check:
    verdict: Verdict
    message: str = ""


KINDS = ("exact", "tokens", "floats", "program")
PROGRAM_VERDICTS = {0: Verdict.AC, 1: Verdict.WA, 2: Verdict.PE}


@dataclass(frozen=True, kw_only=True)
class Checker:
    kind: str = "exact"
    abs_tol: float = 1e-9
    rel_tol: float = 1e-9
    source: Path | None = None  # a program checker's source file

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"checker must be {', '.join(KINDS)}, not {self.kind!r}")
        if (self.kind == "program") != (self.source is not None):
            raise ValueError("a checker has a source exactly when its kind is program")
        for tol in (self.abs_tol, self.rel_tol):
            if not (math.isfinite(tol) and tol >= 0):
                raise ValueError(f"a checker's tolerance must be a number >= 0, not {tol!r}")

    def check(self, expected: bytes, actual: bytes) -> Check:
        """The built-in checkers' verdict (a program checker runs in the grader)."""
        want, got = _text(expected), _text(actual)
        if self.kind == "exact":
            return _exact(want, got)
        if self.kind == "tokens":
            return _tokens(want.split(), got.split(), None)
        return _tokens(want.split(), got.split(), self)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n")


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _exact(want: str, got: str) -> Check:
    want_lines, got_lines = _lines(want), _lines(got)
    if want_lines == got_lines:
        return Check(Verdict.AC)
    if want.split() == got.split():
        return Check(Verdict.PE, "the same tokens, but the spaces or line breaks differ")
    for number, (a, b) in enumerate(zip(want_lines, got_lines, strict=False), start=1):
        if a != b:
            return Check(Verdict.WA, f"line {number}: expected {_quote(a)}, got {_quote(b)}")
    if len(got_lines) < len(want_lines):
        return Check(Verdict.WA, f"{len(want_lines)} lines expected, {len(got_lines)} given")
    return Check(Verdict.WA, f"{len(want_lines)} lines expected, more given")


def _tokens(want: list[str], got: list[str], floats: Checker | None) -> Check:
    for number, (a, b) in enumerate(zip(want, got, strict=False), start=1):
        if a != b and not (floats and _close(a, b, floats)):
            return Check(Verdict.WA, f"token {number}: expected {_quote(a)}, got {_quote(b)}")
    if len(want) != len(got):
        return Check(Verdict.WA, f"{len(want)} tokens expected, {len(got)} given")
    return Check(Verdict.AC)


def _close(want: str, got: str, checker: Checker) -> bool:
    try:
        a, b = float(want), float(got)
    except ValueError:
        return False
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b
    return abs(a - b) <= checker.abs_tol or abs(a - b) <= checker.rel_tol * abs(a)


def _quote(text: str) -> str:
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "...")
