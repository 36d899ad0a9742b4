"""Manifests: a good one loads; a wrong one is refused with every problem named by file and
field, before anything runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from iguazu.grid.assignment import AssignmentError, load

SUM = Path(__file__).parent / "assignments" / "sum"


def test_the_sum_assignment_loads() -> None:
    assignment = load(SUM)
    part = assignment.part("sum")
    assert (assignment.title, assignment.total, assignment.pass_mark) == ("A plus B", 100, 60)
    assert sorted(assignment.statements) == ["en", "zh"]
    assert [t.name for t in part.tests if t.visible] == ["sample"]
    assert [(s.name, s.points, len(s.tests)) for s in part.subtasks] == [
        ("small", 60, 3), ("big", 40, 2)
    ]  # fmt: skip
    assert sorted(part.references) == ["c", "python"]


def broken(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "a"
    shutil.copytree(SUM, folder)
    manifest = folder / "assignment.toml"
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new))
    return folder


@pytest.mark.parametrize(
    "old, new, problem",
    [
        ("pass_mark = 60", "pass_mark = 160", "pass_mark: 160 is more than the 100 points"),
        ("pass_mark = 60", "", "pass_mark: a number of at least 0 is needed, not None"),
        (
            '"c", "cpp", "python", "java"',
            '"c", "cobol"',
            "parts.sum.languages: unknown language 'cobol'",
        ),
        (
            "time_limit_ms = 1000",
            "time_limit_ms = 0",
            "parts.sum.time_limit_ms: a number of 1 to 60000 is needed, not 0",
        ),
        (
            "memory_limit_kb = 65536",
            "memory_limit_kb = 4194304",
            "parts.sum.memory_limit_kb: a number of 4096 to 1048576 is needed, not 4194304",
        ),
        (
            "memory_limit_kb = 65536",
            "memory_limit_kb = 1000000",
            "parts.sum.memory_limit_kb: with 192 MiB more for its languages a box needs 1168 MiB",
        ),
        (
            "time_limit_ms = 1000",
            "time_limit_ms = 60000",
            "parts: a submission of every part could take 1845 s",
        ),
        ('id = "sum"', 'id = "sum/../x"', "parts[0].id: 'sum/../x': letters, digits, - and _"),
        ('id = "sum"', f'id = "{"s" * 101}"', "at most 100"),
        ('tests = "tests"', 'tests = "nowhere"', "parts.sum.tests: nowhere does not exist"),
        (
            'tests = "tests"',
            'tests = "../.."',
            "parts.sum.tests: ../.. is outside the assignment's folder",
        ),
        (
            'visible = ["sample"]',
            'visible = ["sampel"]',
            "parts.sum.visible: no test named 'sampel'",
        ),
        (
            'checker = "exact"',
            'checker = "lines"',
            "parts.sum.checker: checker must be exact, tokens, floats, program",
        ),
        (
            "points = 40",
            "points = 30",
            "parts.sum.subtasks: add up to 90 points, not the part's 100",
        ),
        ('tests = ["big-*"]', 'tests = ["huge-*"]', "parts.sum.subtasks[1].tests: matches no test"),
        ('c = "ref.c"', 'c = "gone.c"', "parts.sum.references.c: gone.c does not exist"),
        (
            '{ en = "statement.en.md"',
            '{ en = "missing.md"',
            "statement.en: missing.md does not exist",
        ),
        ('id = "sum"', 'id = ""', "parts[0].id: a text is needed"),
        ('title = "A plus B"', 'title = "A plus B\n[[[', "assignment.toml: "),
        ("time_limit_ms = 1000", "time_limit_ms = inf", "parts.sum.time_limit_ms: a number"),
        (
            "pass_mark = 60",
            "pass_mark = nan",
            "pass_mark: a number of at least 0 is needed, not nan",
        ),
        (
            'references = { c = "ref.c", python = "ref.py" }',
            'references = ["ref.c"]',
            "parts.sum.references: a table of language = file is needed",
        ),
        ('c = "ref.c"', 'c = "tests"', "parts.sum.references.c: tests is not a regular file"),
        (
            'tests = ["big-*"]',
            'tests = "big-*"',
            "parts.sum.subtasks[1].tests: a list of test names",
        ),
        (
            'name = "big"',
            'name = "small"',
            "parts.sum.subtasks[1].name: the name 'small' is used twice",
        ),
    ],
)
def test_a_wrong_manifest_names_file_field_and_problem(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    with pytest.raises(AssignmentError) as caught:
        load(broken(tmp_path, old, new))
    assert any(problem in line for line in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    folder = broken(tmp_path, "time_limit_ms = 1000", "time_limit_ms = -1")
    manifest = folder / "assignment.toml"
    manifest.write_text(manifest.read_text().replace('visible = ["sample"]', 'visible = ["x"]'))
    with pytest.raises(AssignmentError) as caught:
        load(folder)
    assert len(caught.value.problems) == 2


def test_a_folder_without_a_manifest(tmp_path: Path) -> None:
    with pytest.raises(AssignmentError, match="assignment.toml: not found"):
        load(tmp_path)


def test_a_test_without_its_expected_output(tmp_path: Path) -> None:
    folder = broken(tmp_path, "pass_mark = 60", "pass_mark = 60")
    (folder / "tests" / "big-1.out").unlink()
    with pytest.raises(AssignmentError, match="big-1.in has no big-1.out beside it"):
        load(folder)


def test_a_part_with_a_grader_script_has_no_tests_of_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "scripted"
    shutil.copytree(Path(__file__).parent / "assignments" / "scripted", folder)
    manifest = folder / "assignment.toml"
    manifest.write_text(manifest.read_text() + 'tests = "grader"\n')
    with pytest.raises(
        AssignmentError, match="parts.square.tests: a part with a grader script has none"
    ):
        load(folder)


def test_a_test_file_linked_outside_the_folder_is_refused(tmp_path: Path) -> None:
    folder = broken(tmp_path, "pass_mark = 60", "pass_mark = 60")
    (folder / "tests" / "sample.out").unlink()
    (folder / "tests" / "sample.out").symlink_to("/etc/passwd")
    with pytest.raises(
        AssignmentError, match="tests/sample.out is outside the assignment's folder"
    ):
        load(folder)
