"""Checkers: what counts as the same output, what is only a presentation error, and what a
learner is told about the first difference."""

from __future__ import annotations

import pytest

from iguazu.grid.checkers import Checker
from iguazu.grid.verdicts import Verdict, of_run
from iguazu.sandbox import Status

EXACT, TOKENS = Checker(kind="exact"), Checker(kind="tokens")
FLOATS = Checker(kind="floats", abs_tol=1e-6, rel_tol=1e-6)


@pytest.mark.parametrize(
    "checker, expected, actual, verdict",
    [
        (EXACT, b"3\n1 2\n", b"3\n1 2\n", Verdict.AC),
        (EXACT, b"3\n1 2\n", b"3\r\n1 2   \n\n\n", Verdict.AC),  # line ends, trailing blanks
        (EXACT, b"3\n1 2\n", b"3 1 2\n", Verdict.PE),
        (EXACT, b"3\n1 2\n", b"3\n1  2\n", Verdict.PE),
        (EXACT, b"3\n1 2\n", b"3\n1 3\n", Verdict.WA),
        (EXACT, b"3\n1 2\n", b"3\n", Verdict.WA),
        (EXACT, b"3\n", b"3\n4\n", Verdict.WA),
        (EXACT, b"", b"", Verdict.AC),
        (TOKENS, b"1 2 3\n", b"1\n2\n3", Verdict.AC),
        (TOKENS, b"1 2 3\n", b"1 2", Verdict.WA),
        (TOKENS, b"1.0\n", b"1\n", Verdict.WA),
        (FLOATS, b"1.0 x\n", b"1.0000001 x\n", Verdict.AC),
        (FLOATS, b"1000000\n", b"1000000.5\n", Verdict.AC),  # relative
        (FLOATS, b"1.0\n", b"1.01\n", Verdict.WA),
        (FLOATS, b"1.0\n", b"nan\n", Verdict.WA),
        (FLOATS, b"inf\n", b"inf\n", Verdict.AC),
        (FLOATS, b"x\n", b"y\n", Verdict.WA),
        (TOKENS, b"\xff\n", b"\xff\n", Verdict.AC),  # not UTF-8: compared as bytes
        (EXACT, b"\xff\n", b"\xfe\n", Verdict.WA),  # two invalid bytes are not the same
        (EXACT, "中\n".encode("gbk"), b"\x80\x80\n", Verdict.WA),
        (EXACT, b"3\n", "3\u3000\n".encode(), Verdict.WA),  # Unicode space is no blank
        (TOKENS, b"1 2", b"1\x1f2", Verdict.WA),
        (FLOATS, b"10\n", b"1_0\n", Verdict.WA),  # Python's float() syntax is not C's
        (FLOATS, b"12\n", "١٢\n".encode(), Verdict.WA),
        (FLOATS, b"12\n", "１２\n".encode(), Verdict.WA),
        (FLOATS, b"1e400\n", b"9e999\n", Verdict.AC),  # both infinite
        (FLOATS, b"-0.0\n", b"0\n", Verdict.AC),
        (FLOATS, b"0x10\n", b"16\n", Verdict.WA),
    ],
)
def test_verdicts(checker: Checker, expected: bytes, actual: bytes, verdict: Verdict) -> None:
    assert checker.check(expected, actual).verdict is verdict


def test_the_message_points_at_the_first_difference() -> None:
    assert EXACT.check(b"a\nb\nc\n", b"a\nx\nc\n").message == "line 2: expected 'b', got 'x'"
    assert TOKENS.check(b"1 2", b"1").message == "2 tokens expected, 1 given"
    long = TOKENS.check(b"1", b"9" * 500).message
    assert len(long) < 120 and long.endswith("...'")


@pytest.mark.parametrize(
    "kwargs", [{"kind": "lines"}, {"kind": "floats", "abs_tol": -1}, {"rel_tol": float("nan")}]
)
def test_a_checker_that_makes_no_sense_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="checker"):
        Checker(**kwargs)  # type: ignore[arg-type]


def test_every_sandbox_status_has_a_verdict() -> None:
    assert of_run(Status.OK) is None
    assert {of_run(s) for s in Status if s is not Status.OK} == {
        Verdict.TLE, Verdict.MLE, Verdict.OLE, Verdict.RE, Verdict.IE
    }  # fmt: skip
