"""`iguazu run`, as a user types it: the installed command, from the project directory."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from iguazu.cluster import cgroups

ROOT = Path(__file__).resolve().parents[2]
IGUAZU = ROOT / ".venv" / "bin" / "iguazu"


def iguazu(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(IGUAZU), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def params(tmp_path: Path, values: object, name: str = "params.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(values))
    return path


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "iguazu.toml"
    path.write_text(f'data_dir = "{tmp_path}"\n{text}')
    return path


def test_the_sample_runs_with_its_logs_on_the_terminal() -> None:
    done = iguazu("run", "sample", "examples/sample.json")
    assert done.returncode == 0, done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("iguazu: family=sample job=sample invocation=")
    isolation = "cgroup" if cgroups.available() else "rlimit"
    assert first.endswith(f"isolation={isolation}")
    assert "INFO iguazu.examples: >>> I am running my job!" in done.stderr
    assert "sum of squares below 100000: 333328333350000" in done.stdout
    assert done.stderr.splitlines()[-1].startswith("SUCCEEDED in ")


def test_a_job_past_its_memory_is_killed_and_says_so(tmp_path: Path) -> None:
    done = iguazu("run", "demo/hog", params(tmp_path, {"mib": 512}))
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last.startswith("FAILED: ")
    assert "out of memory (reserved_memory 64 MiB)" in last


def test_with_rlimits_a_job_past_its_memory_fails_saying_memory(tmp_path: Path) -> None:
    settings = config(tmp_path, 'isolation = "rlimit"\n[jobs]\nmodules = ["iguazu.examples"]\n')
    done = iguazu("run", "hog", params(tmp_path, {"mib": 512}), "--config", settings)
    assert done.returncode == 1
    assert "isolation=rlimit" in done.stderr.splitlines()[0]
    assert "CPU is not reserved" in done.stderr
    assert "out of memory: MemoryError (reserved_memory 64 MiB)" in done.stderr.splitlines()[-1]


def test_without_limits_the_same_job_runs_to_the_end(tmp_path: Path) -> None:
    done = iguazu("run", "demo/hog", params(tmp_path, {"mib": 128}), "--no-limits")
    assert done.returncode == 0, done.stderr
    assert "isolation=none" in done.stderr.splitlines()[0]
    assert "allocated 128 MiB" in done.stderr


def test_an_exception_fails_with_its_traceback() -> None:
    done = iguazu("run", "demo/fail")
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "RuntimeError: this job always fails" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("FAILED: exit 1")


@pytest.mark.skipif(not cgroups.available(), reason="a tree in cgroups needs root")
def test_a_timeout_kills_the_command_and_says_so(tmp_path: Path) -> None:
    settings = config(
        tmp_path,
        '[[jobs.commands]]\nfamily = "t"\nname = "sleepy"\nargv = ["sleep", "1000"]\n'
        "timeout = 1\nreserved_cpu = 64\nreserved_memory = 32\n",
    )
    done = iguazu("run", "t/sleepy", "--config", settings)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith("TIMED_OUT: timed out after 1 s")


def test_malformed_parameters_json_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"mib": 5')
    done = iguazu("run", "demo/hog", path)
    assert done.returncode == 2
    assert f"error: {path} is not valid JSON" in done.stderr
    assert "iguazu: family" not in done.stderr  # nothing ran


def test_parameters_failing_the_schema_name_the_field(tmp_path: Path) -> None:
    done = iguazu("run", "demo/hog", params(tmp_path, {"mib": "lots"}))
    assert done.returncode == 2
    assert "error: parameters for demo/hog are invalid: mib: " in done.stderr


def test_an_unknown_job_lists_the_registered_ones() -> None:
    done = iguazu("run", "nosuchjob")
    assert done.returncode == 2
    assert "error: unknown job 'nosuchjob'; registered jobs: " in done.stderr
    assert "sample/sample" in done.stderr


def test_a_name_that_fits_several_jobs_lists_the_candidates() -> None:
    done = iguazu("run", "demo")
    assert done.returncode == 2
    assert "demo/fail, demo/hog, demo/noop, demo/sleep" in done.stderr


def test_ctrl_c_kills_the_job_and_says_cancelled(tmp_path: Path) -> None:
    running = subprocess.Popen(
        [str(IGUAZU), "run", "demo/sleep", str(params(tmp_path, {"seconds": 600}))],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert running.stderr is not None
    first = running.stderr.readline()
    pid = int(first.split(" pid=")[1].split()[0])
    for line in running.stderr:  # until the job runs
        if "sleeping" in line:
            break
    running.send_signal(signal.SIGINT)
    rest = running.stderr.read()
    assert running.wait(timeout=60) == 1
    assert rest.splitlines()[-1].startswith("CANCELLED: interrupted")
    assert not Path(f"/proc/{pid}").exists()
