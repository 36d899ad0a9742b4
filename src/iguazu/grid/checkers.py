"""Comparing a program's output with the expected one, outside any box.

    exact    the same lines (line ends and trailing blanks aside); only whitespace differing
             is PE, anything else WA
    tokens   the same whitespace-separated tokens
    floats   the same tokens, decimal numbers (integers too) equal within an absolute or a
             relative tolerance
    program  course staff's own checker, compiled and run in a box of its own (grader.py):
             it gets input.txt, output.txt (the learner's) and expected.txt as arguments
             and exits 0 for AC, 1 for WA, 2 for PE; its first line of output is the
             message; any other ending is an internal error, never the learner's fault

Each returns a Check: the verdict and, for a learner's eyes on visible tests, where the
first difference is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from .verdicts import Verdict

SHOWN = 60  # characters of a token or line quoted in a message
ASCII_SPACE = b" \t\r\v\f"
NUMBER = re.compile(rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)", re.I)


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
        """The built-in checkers' verdict (a program checker runs in the grader). Bytes are
        compared as bytes: only ASCII spaces, tabs and line ends count as whitespace."""
        expected, actual = expected.replace(b"\r\n", b"\n"), actual.replace(b"\r\n", b"\n")
        if self.kind == "exact":
            return _exact(expected, actual)
        return _tokens(expected.split(), actual.split(), self if self.kind == "floats" else None)


def _lines(data: bytes) -> list[bytes]:
    lines = [line.rstrip(ASCII_SPACE) for line in data.split(b"\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _exact(want: bytes, got: bytes) -> Check:
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


def _tokens(want: list[bytes], got: list[bytes], floats: Checker | None) -> Check:
    for number, (a, b) in enumerate(zip(want, got, strict=False), start=1):
        if a != b and not (floats and _close(a, b, floats)):
            return Check(Verdict.WA, f"token {number}: expected {_quote(a)}, got {_quote(b)}")
    if len(want) != len(got):
        return Check(Verdict.WA, f"{len(want)} tokens expected, {len(got)} given")
    return Check(Verdict.AC)


def _close(want: bytes, got: bytes, checker: Checker) -> bool:
    """Numbers as C's strtod reads them in decimal (integers too); no hex, no '1_0', no
    other scripts' digits. inf and nan in either case; nan equals nothing."""
    if not (NUMBER.fullmatch(want) and NUMBER.fullmatch(got)):
        return False
    a, b = float(want), float(got)
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b
    return abs(a - b) <= checker.abs_tol or abs(a - b) <= checker.rel_tol * abs(a)


def _quote(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "...")
