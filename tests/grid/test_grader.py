"""The test-case grader on a small assignment (tests/grid/assignments/sum): submissions as
data, each with the verdict and score it must get; what a learner sees of hidden tests."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from iguazu.grid.assignment import load
from iguazu.grid.grader import Source, grade
from iguazu.grid.verdicts import Verdict
from iguazu.sandbox import Sandbox

SUM = Path(__file__).parent / "assignments" / "sum"
EXPECTED = tomllib.loads((SUM / "submissions" / "expected.toml").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_submission_gets_its_verdict_and_score(sandbox: Sandbox, name: str) -> None:
    assignment = load(SUM)
    result = grade(sandbox, assignment, {"sum": Source.of_file(SUM / "submissions" / name)})
    part = result.parts[0]
    want = EXPECTED[name]
    shown = [(t.name, t.verdict, t.message) for t in part.tests] or part.compile_output
    assert (part.verdict, part.score) == (Verdict(want["verdict"]), want["score"]), shown
    assert result.passed is (part.score >= 60)


def test_hidden_tests_show_nothing_of_their_data(sandbox: Sandbox) -> None:
    result = grade(
        sandbox, load(SUM), {"sum": Source.of_file(SUM / "submissions" / "wa_overflow.c")}
    )
    tests = {t.name: t for t in result.parts[0].tests}
    sample, big = tests["sample"], tests["big-1"]
    assert (sample.visible, sample.input, sample.expected, sample.output) == (
        True,
        "1 2\n",
        "3\n",
        "3\n",
    )
    assert big.verdict is Verdict.WA and not big.visible
    assert (big.input, big.expected, big.output, big.message) == (None, None, None, "")
    assert "8000000000" not in repr(result)


def test_subtasks_score_all_or_nothing(sandbox: Sandbox) -> None:
    result = grade(
        sandbox, load(SUM), {"sum": Source.of_file(SUM / "submissions" / "wa_overflow.c")}
    )
    subtasks = {s.name: (s.score, s.verdict) for s in result.parts[0].subtasks}
    assert subtasks == {"small": (60, Verdict.AC), "big": (0, Verdict.WA)}


def test_a_language_the_part_does_not_take_is_a_compile_error(sandbox: Sandbox) -> None:
    assignment = load(SUM)
    part = assignment.part("sum")
    limited = type(part)(**{**part.__dict__, "languages": ("c",)})
    one = type(assignment)(**{**assignment.__dict__, "parts": (limited,)})
    result = grade(sandbox, one, {"sum": Source("python", b"print(3)\n")})
    assert result.parts[0].verdict is Verdict.CE
    assert "python is not accepted here: c" in result.parts[0].compile_output


def test_a_file_whose_language_cannot_be_told_is_refused(tmp_path: Path) -> None:
    (tmp_path / "main.rb").write_text("puts 3")
    with pytest.raises(ValueError, match="cannot tell its language from '.rb'"):
        Source.of_file(tmp_path / "main.rb")
