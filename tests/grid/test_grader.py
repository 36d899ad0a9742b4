"""The test-case grader on a small assignment (tests/grid/assignments/sum): submissions as
data, each with the verdict and score it must get; what a learner sees of hidden tests."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from iguazu.grid.assignment import load
from iguazu.grid.grader import Source, grade
from iguazu.grid.verdicts import Verdict
from iguazu.sandbox import Sandbox

ASSIGNMENTS = Path(__file__).parent / "assignments"
SUM = ASSIGNMENTS / "sum"
# (assignment, submission) for every submission there, each with its expected.toml entry.
SUBMISSIONS = [
    (folder.name, name)
    for folder in sorted(ASSIGNMENTS.iterdir())
    for name in sorted(tomllib.loads((folder / "submissions" / "expected.toml").read_text()))
]


@pytest.mark.parametrize("folder, name", SUBMISSIONS, ids=lambda x: x)
def test_each_submission_gets_its_verdict_and_score(
    sandbox: Sandbox, folder: str, name: str
) -> None:
    assignment = load(ASSIGNMENTS / folder)
    want = tomllib.loads((ASSIGNMENTS / folder / "submissions" / "expected.toml").read_text())[name]
    part_id = assignment.parts[0].id
    source = Source.of_file(ASSIGNMENTS / folder / "submissions" / name)
    result = grade(sandbox, assignment, {part_id: source})
    part = result.parts[0]
    shown = [(t.name, t.verdict, t.message) for t in part.tests] or part.compile_output
    assert (part.verdict, part.score) == (Verdict(want["verdict"]), want["score"]), shown
    assert result.passed is (part.score >= assignment.pass_mark)


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


def test_a_program_checker_says_why_on_visible_tests_only(sandbox: Sandbox) -> None:
    split = load(ASSIGNMENTS / "split")
    result = grade(sandbox, split, {"split": Source("python", b"n = int(input())\nprint(0, n)\n")})
    tests = {t.name: t for t in result.parts[0].tests}
    assert tests["sample"].message == "0 + 5 is not 5 with both positive"
    assert (tests["big"].verdict, tests["big"].message) == (Verdict.WA, "")


def test_a_checker_that_crashes_is_an_internal_error_not_the_learners(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    folder = tmp_path / "split"
    shutil.copytree(ASSIGNMENTS / "split", folder)
    (folder / "check.c").write_text("int main(void) { return *(volatile int *)0; }\n")
    result = grade(sandbox, load(folder), {"split": Source("python", b"print(1, 1)\n")})
    assert result.parts[0].verdict is Verdict.IE
    (folder / "check.c").write_text("this is not C\n")
    result = grade(sandbox, load(folder), {"split": Source("python", b"print(1, 1)\n")})
    assert result.parts[0].verdict is Verdict.IE
    assert result.parts[0].compile_output == "internal error: the part's checker could not be built"


def test_a_grader_scripts_feedback_reaches_the_learner_and_its_answers_do_not(
    sandbox: Sandbox,
) -> None:
    scripted = load(ASSIGNMENTS / "scripted")
    source = Source.of_file(ASSIGNMENTS / "scripted" / "submissions" / "overflow.c")
    part = grade(sandbox, scripted, {"square": source}).parts[0]
    assert part.feedback.splitlines() == ["small: right", "zero: right", "big: wrong (OK)"]
    assert all(not t.visible and t.input is None for t in part.tests)
    assert "1000000000000" not in repr(part)  # the hidden answer


@pytest.mark.parametrize(
    "grader",
    [
        "print('not json')",  # no plan
        "import sys\nprint('{\"runs\": []}') if sys.argv[1] == 'plan' else None",  # empty plan
        "import sys, json\nprint(json.dumps({'runs': [{'name': 'a', 'stdin': ''}]}))"
        " if sys.argv[1] == 'plan' else None",  # no feedback
        "import sys, json\nprint(json.dumps({'runs': [{'name': 'a', 'stdin': ''}]}))"
        " if sys.argv[1] == 'plan'"
        " else json.dump({'fractionalScore': 2}, open('feedback.json', 'w'))",  # past 1
    ],
)
def test_a_grader_script_that_fails_is_an_internal_error(
    sandbox: Sandbox, tmp_path: Path, grader: str
) -> None:
    folder = tmp_path / "scripted"
    shutil.copytree(ASSIGNMENTS / "scripted", folder)
    (folder / "grader" / "grade.py").write_text(grader + "\n")
    part = grade(sandbox, load(folder), {"square": Source("python", b"print(9)\n")}).parts[0]
    assert (part.verdict, part.score) == (Verdict.IE, 0)
    assert part.compile_output == "internal error: the part's grader failed"


def test_a_hidden_tests_exit_code_is_not_shown(sandbox: Sandbox) -> None:
    """A program could exit with its input's bytes; a hidden test shows no exit code."""
    probe = Source("python", b"import sys\nsys.exit(ord(sys.stdin.read(1)))\n")
    tests = {t.name: t for t in grade(sandbox, load(SUM), {"sum": probe}).parts[0].tests}
    assert tests["sample"].message == "exited with code 49"  # '1': the visible sample
    hidden = [t for name, t in tests.items() if name != "sample"]
    assert hidden and all("code" not in t.message for t in hidden)
    assert all(t.verdict is Verdict.RE for t in tests.values())


def test_a_failed_subtask_runs_no_more_of_its_tests(sandbox: Sandbox) -> None:
    source = Source.of_file(SUM / "submissions" / "tle.c")
    part = grade(sandbox, load(SUM), {"sum": source}).parts[0]
    tests = {t.name: t for t in part.tests}
    # big-1 ran out of time; big-2 is only in "big", which had failed: not run
    assert (tests["big-1"].verdict, tests["big-1"].skipped) == (Verdict.TLE, False)
    assert (tests["big-2"].verdict, tests["big-2"].skipped) == (Verdict.TLE, True)
    assert tests["big-2"].message == "not run: subtask big failed"
    assert tests["small-2"].skipped  # "small" failed at sample
    assert sum(not t.skipped for t in part.tests) == 2


def test_a_visible_test_that_failed_shows_a_diff_and_a_hidden_one_none(sandbox: Sandbox) -> None:
    source = Source.of_file(SUM / "submissions" / "pe.py")
    tests = {t.name: t for t in grade(sandbox, load(SUM), {"sum": source}).parts[0].tests}
    assert tests["sample"].diff is not None
    assert tests["sample"].diff.splitlines()[-2:] == ["-3", "+ 3"]
    assert all(t.diff is None for name, t in tests.items() if name != "sample")
