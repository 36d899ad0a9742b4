"""The pool of boxes made ahead, with stand-ins for boxes: what it hands out, what it
throws away, how it backs off, and what a forked child keeps of it (nothing)."""

from __future__ import annotations

import os
import time

import pytest

from iguazu.sandbox import spares
from iguazu.sandbox.spares import Spares
from tests.waiting import eventually


def test_it_hands_out_the_oldest_and_makes_another() -> None:
    made = iter(range(100))
    pool = Spares(lambda: next(made), lambda box: None, count=2)
    eventually(lambda: pool.ready == 2)
    assert pool.take() == 0
    eventually(lambda: pool.ready == 2)
    assert pool.take() == 1
    pool.close()


def test_boxes_older_than_max_age_are_discarded_not_handed_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spares, "MAX_AGE", 0.05)
    discarded: list[int] = []
    made = iter(range(100))
    pool = Spares(lambda: next(made), discarded.append, count=1)
    eventually(lambda: pool.ready == 1)
    time.sleep(0.1)
    assert pool.take() is None
    assert discarded == [0]
    pool.close()


def test_a_failing_make_is_retried_once_a_second_not_in_a_loop() -> None:
    attempts = []

    def fail() -> int:
        attempts.append(time.monotonic())
        raise OSError("no room")

    pool = Spares(fail, lambda box: None, count=1)
    for _ in range(5):  # takes wake the thread: they must not turn the back-off into a spin
        assert pool.take() is None
        time.sleep(0.1)
    pool.close()
    assert 1 <= len(attempts) <= 3


def test_close_discards_what_waits() -> None:
    discarded: list[int] = []
    made = iter(range(100))
    pool = Spares(lambda: next(made), discarded.append, count=3)
    eventually(lambda: pool.ready == 3)
    pool.close()
    assert sorted(discarded) == [0, 1, 2]
    assert pool.ready == 0


def test_a_forked_child_forgets_the_parents_boxes() -> None:
    discarded: list[int] = []
    made = iter(range(100))
    pool = Spares(lambda: next(made), discarded.append, count=1)
    eventually(lambda: pool.ready == 1)
    pid = os.fork()
    if pid == 0:  # the child: nothing to hand out, and close discards nothing of the parent's
        code = 0 if pool.take() is None and pool.ready == 0 else 1
        pool.close()
        os._exit(code if not discarded else 2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert pool.ready == 1
    pool.close()
