"""Waiting for what other processes and threads do, without timing asserts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    get: Callable[[], T],
    ok: Callable[[T], object] = bool,
    *,
    timeout: float = 30.0,
    what: str = "condition",
    ignore: tuple[type[BaseException], ...] = (),
) -> T:
    """Call `get` until `ok` accepts its value and return that value; fail after `timeout`
    seconds. Exceptions named in `ignore` (a server not up yet) count as not yet."""
    deadline = time.monotonic() + timeout
    value: T | None = None
    while True:
        try:
            value = get()
            if ok(value):
                return value
        except ignore:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}: {value!r}")
        time.sleep(0.02)
