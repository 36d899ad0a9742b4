"""`iguazu grade submit|status|history|assignments` as a user runs them: the real command in a
subprocess, against the real API (`grid_api`: no dispatcher, so submissions stay QUEUED).

A mistake on the command line is one line on stderr, exit status 1, and nothing submitted; a
refusal from the server is its own message with the HTTP status.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from iguazu.models import State

from ..conftest import TEST_TOKEN
from .conftest import Platform

SOURCE = "a, b = map(int, input().split())\nprint(a + b)\n"


def iguazu(platform: Platform, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250"}
    env.pop("IGUAZU_URL", None)
    env.pop("IGUAZU_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "iguazu", *map(str, args),
         "--url", platform.url, "--token", TEST_TOKEN],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )  # fmt: skip


def one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    for word in words:
        assert word in done.stderr, done.stderr
    return done.stderr


def nothing_submitted(platform: Platform) -> None:
    assert platform.system.store.submissions() == []
    assert platform.system.store.list() == []


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "main.py"
    path.write_text(SOURCE)
    return path


# -- submit and status ----------------------------------------------------------------------


def test_submit_prints_the_id_and_queued(grid_api: Platform, source: Path) -> None:
    done = iguazu(grid_api, "grade", "submit", "sum", f"sum={source}", "--learner", "ada")
    assert done.returncode == 0, done.stderr
    [sub] = grid_api.system.store.submissions()
    assert done.stdout.strip() == f"submission {sub.id}: QUEUED"
    assert (sub.assignment, sub.learner, sub.state) == ("sum", "ada", "QUEUED")
    assert grid_api.system.store.submission_files(sub.id) == {"sum": SOURCE.encode()}

    status = iguazu(grid_api, "grade", "status", sub.id)
    assert status.returncode == 0, status.stderr
    assert status.stdout.strip() == f"submission {sub.id}: QUEUED"


def test_submit_json_is_the_apis_submission(grid_api: Platform, tmp_path: Path) -> None:
    painter = tmp_path / "main.cpp"
    painter.write_text("int main() { return 0; }\n")
    clock = tmp_path / "clock.py"
    clock.write_text("print(1)\n")
    done = iguazu(
        grid_api,
        "grade",
        "submit",
        "wall-and-clock",
        f"painter={painter}",
        f"clock={clock}",
        "--learner",
        "李雷",
        "--callback-url",
        "https://hooks.example.com/iguazu",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    sub = json.loads(done.stdout)
    with grid_api.http() as client:
        assert client.get(f"/api/v1/submissions/{sub['id']}").json() == sub
    assert (sub["learner"], sub["state"]) == ("李雷", "QUEUED")
    assert {p["part"]: p["language"] for p in sub["parts"]} == {"painter": "cpp", "clock": "python"}
    assert sub["callback_url"] == "https://hooks.example.com/iguazu"
    [inv] = grid_api.system.store.list()
    assert (inv.id, inv.queue, inv.state) == (sub["invocation_id"], "grading", State.QUEUED)

    status = iguazu(grid_api, "grade", "status", sub["id"], "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout) == sub


def test_status_of_a_cancelled_grading_says_why_and_exits_1(
    grid_api: Platform, source: Path
) -> None:
    done = iguazu(grid_api, "grade", "submit", "sum", f"sum={source}", "--learner", "ada")
    assert done.returncode == 0, done.stderr
    [sub] = grid_api.system.store.submissions()
    assert sub.invocation_id is not None
    grid_api.system.batch.cancel(sub.invocation_id)
    status = iguazu(grid_api, "grade", "status", sub.id)
    assert status.returncode == 1
    assert f"submission {sub.id}: ERROR" in status.stdout
    assert "not graded: grading ended CANCELLED" in status.stdout


@pytest.mark.parametrize("given", ["sum", "=main.py", "sum=", "main.py"])
def test_a_malformed_part_file_pair_is_refused_before_anything_is_sent(
    grid_api: Platform, given: str
) -> None:
    done = iguazu(grid_api, "grade", "submit", "sum", given, "--learner", "ada")
    one_line_error(done, f"{given!r}: give PART=FILE")
    nothing_submitted(grid_api)


def test_an_unreadable_file_is_refused_naming_it(grid_api: Platform, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "main.py"
    done = iguazu(grid_api, "grade", "submit", "sum", f"sum={missing}", "--learner", "ada")
    one_line_error(done, f"cannot read {missing}", "No such file or directory")
    done = iguazu(grid_api, "grade", "submit", "sum", f"sum={tmp_path}", "--learner", "ada")
    one_line_error(done, f"cannot read {tmp_path}", "Is a directory")
    nothing_submitted(grid_api)


def test_the_same_part_twice_is_refused(grid_api: Platform, source: Path) -> None:
    done = iguazu(
        grid_api, "grade", "submit", "sum", f"sum={source}", f"sum={source}", "--learner", "ada"
    )
    one_line_error(done, "part 'sum' is given twice")
    nothing_submitted(grid_api)


def test_a_refusal_from_the_server_is_its_message_and_status(
    grid_api: Platform, source: Path
) -> None:
    done = iguazu(
        grid_api, "grade", "submit", "wall-and-clock", f"wall={source}", "--learner", "ada"
    )
    one_line_error(done, "no part 'wall'", "(parts: painter, clock)", "(HTTP 404)")
    done = iguazu(grid_api, "grade", "submit", "sum", f"sum={source}", "--learner", " ada")
    one_line_error(done, "without surrounding blanks", "(HTTP 422)")
    nothing_submitted(grid_api)


def test_status_of_an_unknown_submission_exits_1(grid_api: Platform) -> None:
    done = iguazu(grid_api, "grade", "status", "nope123")
    one_line_error(done, "no submission nope123 (HTTP 404)")


# -- history and assignments ----------------------------------------------------------------


def test_history_shows_the_submissions_and_no_score_yet(grid_api: Platform, source: Path) -> None:
    for _ in range(2):
        done = iguazu(grid_api, "grade", "submit", "sum", f"sum={source}", "--learner", "ada")
        assert done.returncode == 0, done.stderr
    done = iguazu(grid_api, "grade", "history", "sum", "ada")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for heading in ("submitted", "id", "state", "score", "parts"):
        assert heading in out
    for sub in grid_api.system.store.submissions():
        line = next(line for line in out.splitlines() if sub.id in line)
        assert "QUEUED" in line and "sum (python)" in line
    assert "best -, latest - of 100; pass mark 60: not met" in out


def test_history_of_an_unknown_assignment_exits_1(grid_api: Platform) -> None:
    done = iguazu(grid_api, "grade", "history", "no-such-course", "ada")
    one_line_error(done, "no assignment 'no-such-course' (HTTP 404)")


def test_assignments_lists_ids_and_titles(grid_api: Platform) -> None:
    done = iguazu(grid_api, "grade", "assignments")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for ident, title in [
        ("scripted", "Squares"),
        ("split", "Split a number"),
        ("sum", "A plus B"),
        ("wall-and-clock", "编程作业：画家问题与拨钟问题"),
    ]:
        line = next(line for line in out.splitlines() if ident in line)
        assert title in line, out
    assert "painter (50), clock (50)" in out
    assert "80/100" in out
