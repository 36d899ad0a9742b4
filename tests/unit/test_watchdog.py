"""One thread fires every timeout."""

from __future__ import annotations

import queue

from iguazu.cluster.watchdog import Watchdog


def test_a_due_deadline_fires_with_its_key_and_seconds() -> None:
    fired: queue.Queue[tuple[str, float]] = queue.Queue()
    dog = Watchdog(lambda key, seconds: fired.put((key, seconds)))
    try:
        dog.add("a", 0.0)
        assert fired.get(timeout=10) == ("a", 0.0)
    finally:
        dog.close()


def test_a_discarded_deadline_never_fires() -> None:
    fired: queue.Queue[str] = queue.Queue()
    dog = Watchdog(lambda key, seconds: fired.put(key))
    try:
        for i in range(200):  # enough to make it compact its heap
            dog.add(f"gone-{i}", 0.05)
            dog.discard(f"gone-{i}")
        dog.add("kept", 0.1)
        assert fired.get(timeout=10) == "kept"
        assert fired.empty()
    finally:
        dog.close()


def test_earlier_deadlines_fire_first_whatever_the_order_they_came_in() -> None:
    fired: queue.Queue[str] = queue.Queue()
    dog = Watchdog(lambda key, seconds: fired.put(key))
    try:
        dog.add("late", 0.3)
        dog.add("early", 0.0)
        assert [fired.get(timeout=10), fired.get(timeout=10)] == ["early", "late"]
    finally:
        dog.close()
