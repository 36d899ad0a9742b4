"""`iguazu up` as a user starts it: one command, the API, a worker process beside it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from iguazu.client import Client
from iguazu.models import InvocationRequest, State

from ..waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check, timeout: float = 60.0, what: str = "condition"):  # type: ignore[no-untyped-def]
    return eventually(check, timeout=timeout, what=what, ignore=(Exception,))


@pytest.fixture
def up(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Client]]:
    port = free_port()
    config = tmp_path / "iguazu.toml"
    config.write_text(
        f'data_dir = "{tmp_path}"\nport = {port}\nheartbeat_seconds = 0.5\n'
        '[jobs]\nmodules = ["iguazu.examples", "tests.jobs.corejobs"]\n'
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "iguazu", "up", "--config", str(config)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    client = Client(f"http://127.0.0.1:{port}")
    try:
        wait_for(lambda: client.agents(), what="the worker's agent")
        yield proc, client
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        client.close()


def test_up_runs_jobs_and_a_killed_worker_comes_back_leaving_lost_not_rerun(
    up: tuple[subprocess.Popen[bytes], Client], tmp_path: Path
) -> None:
    proc, client = up
    done = client.wait(client.create(InvocationRequest(family="sample", job_name="sample")))
    assert done.state is State.SUCCEEDED

    out = tmp_path / "ran.txt"
    sleeper = client.create(
        InvocationRequest(
            family="core", job_name="appendid", parameters={"path": str(out), "sleep": 60}
        )
    )
    wait_for(lambda: client.get(sleeper).state is State.RUNNING, what="running")
    [agent] = client.agents()
    os.kill(agent["pid"], signal.SIGKILL)

    lost = wait_for(
        lambda: (inv := client.get(sleeper)).state.terminal and inv, timeout=30, what="LOST"
    )
    assert lost.state is State.LOST and "outcome unknown" in (lost.reason or "")
    [new_agent] = wait_for(lambda: client.agents(), what="a new agent")
    assert new_agent["pid"] != agent["pid"]
    after = client.wait(client.create(InvocationRequest(family="sample", job_name="sample")))
    assert after.state is State.SUCCEEDED
    assert out.read_text().split() == [sleeper]  # started once, never again

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    output = proc.stdout.read().decode()  # type: ignore[union-attr]
    assert f"listening on http://127.0.0.1:{client.url.rsplit(':', 1)[1]}" in output
    wait_for(lambda: not _alive(new_agent["pid"]), timeout=10, what="worker gone")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(os.geteuid() != 0, reason="grading needs the sandbox, which needs root")
def test_the_shipped_settings_grade_a_submission_and_a_killed_grader_is_an_error(
    tmp_path: Path,
) -> None:
    """`iguazu up --config iguazu.toml` as the quick start runs it (its assignments folder,
    the `grading` queue), with only the data dir and the port moved aside."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "iguazu", "up", "--config", str(ROOT / "iguazu.toml"),
         "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "IGUAZU_DATA_DIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    example = ROOT / "examples" / "assignments" / "wall-and-clock"
    try:
        with Client(url) as client:
            wait_for(lambda: client.agents(), what="the worker's agent")
            [agent] = client.agents()
            assert agent["capabilities"] == ["sandbox"]
            done = subprocess.run(
                [sys.executable, "-m", "iguazu", "grade", "submit", "wall-and-clock",
                 f"painter={example / 'painter' / 'submissions' / 'ac.cpp'}",
                 f"clock={example / 'clock' / 'submissions' / 'ac.py'}",
                 "--learner", "ada", "--wait", "--url", url],
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert "GRADED" in done.stdout and "Total 100/100; pass mark 80: met" in done.stdout

            # A grading job whose agent dies: its submission must not wait forever.
            slow = example / "painter" / "submissions" / "tle_every_set.cpp"
            sub = client.submit("wall-and-clock", "bob", {"painter": slow})
            wait_for(lambda: client.submission(sub.id).state.value == "GRADING", what="GRADING")
            os.kill(agent["pid"], signal.SIGKILL)
            failed = wait_for(
                lambda: (s := client.submission(sub.id)).state.final and s, what="ERROR"
            )
            assert failed.state.value == "ERROR" and failed.score is None
            assert "LOST" in (failed.error or ""), failed.error
    finally:
        proc.kill()
        proc.wait()
