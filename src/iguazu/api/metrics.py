"""Prometheus metrics of one app, in its own registry (several apps may share a process)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from ..models import State
from ..store import Store


class Metrics:
    def __init__(self, store: Store) -> None:
        self.registry = CollectorRegistry()
        self._submissions = Counter(
            "iguazu_submissions",
            "Invocation requests by job and outcome (created, duplicate, or the error's type).",
            ["job", "outcome"],
            registry=self.registry,
        )
        self.registry.register(_InvocationStates(store))

    def submitted(self, job: str, outcome: str) -> None:
        self._submissions.labels(job=job, outcome=outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _InvocationStates:
    """Invocations per state, read from the store at scrape time: the store is the truth,
    and every replica of the API reports the same numbers."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def collect(self) -> Iterator[Metric]:
        counts = self._store.count_by_state()
        gauge = GaugeMetricFamily(
            "iguazu_invocations", "Invocations in the store, by state.", labels=["state"]
        )
        for state in State:
            gauge.add_metric([state.value], counts.get(state, 0))
        yield gauge
