"""How a job process's end is told to people."""

from __future__ import annotations

import signal

from iguazu.cluster.child import EXIT_OUT_OF_MEMORY
from iguazu.cluster.outcome import Ending, classify, summary
from iguazu.models import State

TIMED_OUT = Ending(state=State.TIMED_OUT, reason="timed out after 5 s")


def exited(code: int) -> int:
    return code << 8  # a wait status, as os.wait4 gives it


def killed(signum: int) -> int:
    return signum


def test_exit_0_succeeds() -> None:
    assert classify(status=exited(0), reserved_memory=64) == (State.SUCCEEDED, 0, "exit 0")


def test_a_non_zero_exit_fails_with_its_code() -> None:
    assert classify(status=exited(3), reserved_memory=64) == (State.FAILED, 3, "exit 3")


def test_a_signal_fails_naming_it_with_a_negative_code() -> None:
    assert classify(status=killed(signal.SIGSEGV), reserved_memory=64) == (
        State.FAILED,
        -signal.SIGSEGV,
        "killed by SIGSEGV",
    )


def test_the_oom_killer_is_reported_with_the_reservation() -> None:
    assert classify(status=killed(signal.SIGKILL), oom_killed=True, reserved_memory=64) == (
        State.FAILED,
        -9,
        "killed: out of memory (reserved_memory 64 MiB)",
    )


def test_a_memory_error_of_a_python_job_says_out_of_memory() -> None:
    state, code, reason = classify(status=exited(EXIT_OUT_OF_MEMORY), reserved_memory=48)
    assert (state, code) == (State.FAILED, EXIT_OUT_OF_MEMORY)
    assert reason == "out of memory: MemoryError (reserved_memory 48 MiB)"


def test_a_command_job_exiting_with_that_code_is_just_an_exit() -> None:
    assert classify(status=exited(EXIT_OUT_OF_MEMORY), reserved_memory=48, python_job=False) == (
        State.FAILED,
        EXIT_OUT_OF_MEMORY,
        f"exit {EXIT_OUT_OF_MEMORY}",
    )


def test_our_own_kill_wins_over_the_status_and_the_oom_counter() -> None:
    assert classify(
        status=killed(signal.SIGKILL), ended_by=TIMED_OUT, oom_killed=True, reserved_memory=64
    ) == (State.TIMED_OUT, -9, "timed out after 5 s")


def test_a_job_that_finished_cleanly_as_we_killed_it_succeeded() -> None:
    assert classify(status=exited(0), ended_by=TIMED_OUT, reserved_memory=64)[0] is State.SUCCEEDED


def test_a_clean_exit_succeeds_even_if_a_child_of_it_was_oom_killed() -> None:
    assert classify(status=exited(0), oom_killed=True, reserved_memory=64)[0] is State.SUCCEEDED


def test_the_summary_line_gives_usage_when_known() -> None:
    assert summary(State.FAILED, "exit 1", 1.234, 3 * 1024 * 1024) == (
        "iguazu: FAILED: exit 1 (cpu 1.23 s, peak memory 3 MiB)\n"
    )
    assert summary(State.SUCCEEDED, "exit 0", None, None) == "iguazu: SUCCEEDED: exit 0\n"


def test_a_job_that_exits_by_itself_as_we_decide_to_kill_it_keeps_its_own_end() -> None:
    state, code, reason = classify(status=exited(1), ended_by=TIMED_OUT, reserved_memory=64)
    assert (state, code, reason) == (State.FAILED, 1, "exit 1")
