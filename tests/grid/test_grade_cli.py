"""`iguazu grade local` and `iguazu grade check` as course staff and learners run them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SUM = Path(__file__).parent / "assignments" / "sum"
SUBMISSIONS = SUM / "submissions"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root; CI has it")


def iguazu(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iguazu", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@needs_root
def test_grade_local_prints_a_readable_report() -> None:
    done = iguazu("grade", "local", SUM, f"sum={SUBMISSIONS / 'wa_overflow.c'}")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "sum (c): 60/100 WA" in out
    assert "big-1 (hidden)" in out and "sample" in out
    assert "subtask small: 60/60 AC" in out and "subtask big: 0/40 WA" in out
    assert "Total 60/100; pass mark 60: met" in out


@needs_root
def test_grade_local_json_is_the_machine_readable_result() -> None:
    done = iguazu("grade", "local", SUM, f"sum={SUBMISSIONS / 'ac.py'}", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["score"], result["total"], result["passed"]) == (100, 100, True)
    part = result["parts"][0]
    assert (part["language"], part["verdict"]) == ("python", "AC")
    assert {t["name"]: t["verdict"] for t in part["tests"]}["big-2"] == "AC"


@needs_root
def test_grade_check_runs_the_references() -> None:
    done = iguazu("grade", "check", SUM)
    assert done.returncode == 0, done.stderr
    assert "sum: reference ref.c (c) passes" in done.stdout
    assert "sum: reference ref.py (python) passes" in done.stdout


@needs_root
def test_grade_check_fails_when_a_reference_does_not_pass(tmp_path: Path) -> None:
    folder = tmp_path / "sum"
    shutil.copytree(SUM, folder)
    shutil.copy(SUBMISSIONS / "wa_overflow.c", folder / "ref.c")
    done = iguazu("grade", "check", folder)
    assert done.returncode == 1
    assert "sum: reference ref.c (c) FAILS (WA, 60/100)" in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["local", SUM, "nopart=x.c"], "no part 'nopart'"),
        (["local", SUM, "sum"], "'sum': give PART=FILE"),
        (["local", SUM, f"sum={SUM / 'statement.en.md'}"], "cannot tell its language from '.md'"),
        (["local", SUM, "sum=/nonexistent/main.c"], "No such file"),
        (["check", SUM / "tests"], "assignment.toml: not found"),
    ],
)
def test_wrong_arguments_are_refused_before_grading(args: list[object], message: str) -> None:
    done = iguazu("grade", *args)
    assert done.returncode == 2
    assert message in done.stderr


@needs_root
def test_coursera_and_gradescope_shapes_carry_the_score_and_nothing_hidden() -> None:
    wa = f"sum={SUBMISSIONS / 'wa_overflow.c'}"
    coursera = json.loads(iguazu("grade", "local", SUM, wa, "--format", "coursera").stdout)
    assert coursera["sum"]["fractionalScore"] == 0.6
    assert coursera["sum"]["feedbackType"] == "TXT"
    assert "subtask big: 0/40 (WA)" in coursera["sum"]["feedback"]
    gradescope = json.loads(iguazu("grade", "local", SUM, wa, "--format", "gradescope").stdout)
    assert gradescope["score"] == 60
    assert sum(t["score"] for t in gradescope["tests"]) == 60
    hidden = [t for t in gradescope["tests"] if t["visibility"] == "hidden"]
    assert {t["name"] for t in hidden} == {"sum/big-1", "sum/big-2", "sum/small-1", "sum/small-2"}
    for shaped in (coursera, gradescope):
        assert "8000000000" not in json.dumps(shaped)  # a hidden test's expected output
    assert "big-1" not in gradescope["output"]  # shown at once: hidden tests are not in it


def test_an_unknown_format_is_refused() -> None:
    done = iguazu("grade", "local", SUM, f"sum={SUBMISSIONS / 'ac.c'}", "--format", "xml")
    assert done.returncode == 2
    assert "--format must be one of text, json, coursera, gradescope" in done.stderr


@needs_root
def test_a_learners_output_is_shown_as_text_not_as_markup(tmp_path: Path) -> None:
    source = tmp_path / "main.py"
    source.write_text("print('[/x] [bold]3')\n")
    done = iguazu("grade", "local", SUM, f"sum={source}")
    assert done.returncode == 0, done.stderr
    assert "[/x] [bold]3" in done.stdout  # the visible test's output, as it was


def test_json_and_another_format_at_once_are_refused() -> None:
    done = iguazu(
        "grade", "local", SUM, f"sum={SUBMISSIONS / 'ac.c'}", "--json", "--format", "coursera"
    )
    assert done.returncode == 2
    assert "--json and --format coursera ask for two things" in done.stderr
