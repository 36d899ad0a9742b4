"""The example assignment shipped in examples/assignments/wall-and-clock (the seed's 画家问题
and 拨钟问题): each sample learner's submission gets its verdict and score, the references
pass `iguazu grade check`, and the tests on disk are what its generator writes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from iguazu.grid.assignment import load
from iguazu.grid.grader import Source, grade
from iguazu.grid.verdicts import Verdict
from iguazu.sandbox import Sandbox

FOLDER = Path(__file__).resolve().parents[2] / "examples" / "assignments" / "wall-and-clock"
PARTS = ("painter", "clock")
EXPECTED = {
    part: tomllib.loads((FOLDER / part / "submissions" / "expected.toml").read_text())
    for part in PARTS
}
SUBMISSIONS = [(part, name) for part in PARTS for name in sorted(EXPECTED[part])]


@pytest.mark.parametrize(("part", "name"), SUBMISSIONS, ids=[f"{p}-{n}" for p, n in SUBMISSIONS])
def test_each_submission_gets_its_verdict_and_score(sandbox: Sandbox, part: str, name: str) -> None:
    assignment = load(FOLDER)
    source = Source.of_file(FOLDER / part / "submissions" / name)
    result = grade(sandbox, assignment, {part: source})
    got = result.parts[0]
    want = EXPECTED[part][name]
    shown = [(t.name, t.verdict, t.message) for t in got.tests] or got.compile_output
    assert (got.verdict, got.score) == (Verdict(want["verdict"]), want["score"]), shown
    assert result.passed is False  # one part is 50 points at most: not the 80 to pass


def test_every_submission_is_listed_in_expected() -> None:
    for part in PARTS:
        on_disk = {p.name for p in (FOLDER / part / "submissions").iterdir()} - {"expected.toml"}
        assert on_disk == set(EXPECTED[part]), part


@pytest.mark.parametrize(
    ("painter", "clock", "score", "passed"),
    [("ac.cpp", "ac.py", 100, True), ("ac.java", "wa_each_once.cpp", 77.5, False)],
)
def test_the_pass_mark_is_80_of_both_parts(
    sandbox: Sandbox, painter: str, clock: str, score: float, passed: bool
) -> None:
    sources = {
        "painter": Source.of_file(FOLDER / "painter" / "submissions" / painter),
        "clock": Source.of_file(FOLDER / "clock" / "submissions" / clock),
    }
    result = grade(sandbox, load(FOLDER), sources)
    assert (result.score, result.total, result.pass_mark) == (score, 100, 80)
    assert result.passed is passed


@pytest.mark.usefixtures("sandbox")  # for its skip: the command makes a sandbox of its own
def test_grade_check_passes_with_every_reference() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "iguazu", "grade", "check", str(FOLDER)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for part in PARTS:
        for ref in ("reference.cpp (cpp)", "reference.py (python)"):
            assert f"{part}: reference {ref} passes" in done.stdout


def test_the_manifest_is_the_seeds_assignment() -> None:
    assignment = load(FOLDER)
    assert (assignment.total, assignment.pass_mark) == (100, 80)
    for part in assignment.parts:
        assert (part.points, part.time_limit_ms, part.memory_limit_kb) == (50, 1000, 65536)
        assert part.languages == ("c", "cpp", "python", "java")
        assert [t.name for t in part.tests if t.visible] == ["sample"]
    assert [(p.id, len(p.tests)) for p in assignment.parts] == [("painter", 10), ("clock", 20)]


def test_the_statements_exist_in_both_languages() -> None:
    statements = load(FOLDER).statements
    assert sorted(statements) == ["en", "zh"]
    zh, en = statements["zh"].read_text(), statements["en"].read_text()
    assert "画家问题" in zh and "拨钟问题" in zh and "输入" in zh and "输出" in zh
    assert "painter" in en and "clocks" in en and "Input" in en and "Output" in en
    for text in (zh, en):  # each problem's sample, as in the visible tests
        for part in PARTS:
            sample = FOLDER / part / "tests"
            assert (sample / "sample.in").read_text() in text
            assert (sample / "sample.out").read_text() in text


def test_the_tests_are_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("wall_and_clock_gen", FOLDER / "gen.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    want = gen.generate()
    on_disk = {
        str(p.relative_to(FOLDER)): p.read_text()
        for part in PARTS
        for p in sorted((FOLDER / part / "tests").iterdir())
    }
    assert on_disk == want
