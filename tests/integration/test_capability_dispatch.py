"""Capability requirements end to end: a real Batch over a SQLite store, and real
dispatchers over the real local cluster (cgroups as root), each declaring what it can run.
Also what the platform's own jobs are handed by their agent, and what other jobs are not."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from iguazu.batch import Batch
from iguazu.cluster.local import LocalCluster
from iguazu.dispatcher import Dispatcher, DispatcherConfig
from iguazu.errors import SandboxUnavailable, Unplaceable
from iguazu.jobs import JobRegistry
from iguazu.models import Invocation, InvocationRequest, State, new_id
from iguazu.sandbox import Sandbox
from iguazu.settings import DEFAULT_QUEUES
from iguazu.store import Store
from iguazu.system import System

from .dispatch_helpers import eventually, settings, wait_until

DUMP_ENV = (
    "import json, os; "
    "path = json.loads(os.environ['IGUAZU_PARAMETERS'])['path']; "
    "seen = {k: v for k, v in os.environ.items() if k.startswith('IGUAZU_')}; "
    "open(path, 'w').write(json.dumps(seen))"
)
REGISTRY = JobRegistry.load(
    ["tests.jobs.capjobs"],
    [
        {
            "family": "capcmd",
            "name": "see-env",
            "argv": [sys.executable, "-c", DUMP_ENV],
            "reserved_cpu": 16,
            "reserved_memory": 64,
        },
        {
            "family": "capcmd",
            "name": "platform-see-env",
            "argv": [sys.executable, "-c", DUMP_ENV],
            "reserved_cpu": 16,
            "reserved_memory": 64,
            "platform": True,
        },
    ],
)
AGENT_ONLY = {"IGUAZU_AGENT_ONLY": "the agent's own", "IGUAZU_TOKEN": "agent-token-123"}

StartAgent = Callable[..., Dispatcher]


@pytest.fixture
def capbatch(store: Store, tmp_path: Path) -> Batch:
    """A Batch over the capability test jobs that reads the agents afresh at every submit."""
    return Batch(
        store=store,
        registry=REGISTRY,
        queues=DEFAULT_QUEUES,
        log_dir=tmp_path / "logs",
        agents_ttl=0.0,
    )


@pytest.fixture
def start_agent(store: Store, tmp_path: Path) -> Iterator[StartAgent]:
    """Start a dispatcher over a local cluster of its own, declaring `capabilities`; every
    one started is stopped (drained, deregistered) after the test."""
    running: list[tuple[Dispatcher, threading.Event, threading.Thread]] = []

    def start(*capabilities: str, platform_env: dict[str, str] | None = None) -> Dispatcher:
        agent_id = f"cap-{'-'.join(capabilities) or 'plain'}-{new_id()[:6]}"
        poke = threading.Event()
        cluster = LocalCluster(
            agent_id=agent_id,
            cpu=1024,
            memory=512,
            log_dir=tmp_path / "logs",
            registry=REGISTRY,
            isolation="auto",
            on_exit=poke.set,
            platform_env=platform_env,
        )
        dispatcher = Dispatcher(
            store=store,
            registry=REGISTRY,
            cluster=cluster,
            agent_id=agent_id,
            poke=poke,
            config=DispatcherConfig(
                lease=timedelta(seconds=5),
                heartbeat=0.5,
                retry_delay=0.2,
                drain=5.0,
                capabilities=capabilities,
            ),
        )
        stop = threading.Event()
        thread = threading.Thread(target=dispatcher.run, args=(stop,), daemon=True)
        thread.start()
        running.append((dispatcher, stop, thread))
        eventually(
            lambda: [a.id for a in store.agents()],
            lambda ids: agent_id in ids,
            what=f"agent {agent_id} to register",
        )
        return dispatcher

    yield start
    for dispatcher, stop, _ in running:
        stop.set()
        dispatcher.poke.set()
    for _, _, thread in running:
        thread.join(60)


def submit(batch: Batch, family: str, name: str, **kw: object) -> Invocation:
    inv, created = batch.submit(InvocationRequest(family=family, job_name=name, **kw))  # type: ignore[arg-type]
    assert created
    return inv


def test_sandbox_work_waits_for_an_agent_declaring_it_while_plain_work_runs(
    store: Store, capbatch: Batch, start_agent: StartAgent
) -> None:
    graded = submit(capbatch, "capjobs", "sandboxed")  # no agent seen yet: accepted
    assert (graded.state, graded.queue, graded.requires) == (
        State.QUEUED,
        "grading",
        ("sandbox",),
    )
    plain_agent = start_agent()
    plain = submit(capbatch, "capjobs", "plain")
    done = wait_until(store, plain.id)
    assert (done.state, done.agent_id) == (State.SUCCEEDED, plain_agent.agent_id), done.reason

    waiting = store.get(graded.id)
    assert (waiting.state, waiting.agent_id) == (State.QUEUED, None)
    assert [e.state for e in store.events(graded.id)] == [State.QUEUED]
    with pytest.raises(Unplaceable, match="no agent seen lately declares sandbox"):
        submit(capbatch, "capjobs", "sandboxed")  # only the plain agent is seen now

    sandbox_agent = start_agent("sandbox")
    graded_done = wait_until(store, graded.id)
    assert graded_done.state is State.SUCCEEDED, graded_done.reason
    assert graded_done.agent_id == sandbox_agent.agent_id
    assert "ran where a sandbox is declared" in capbatch.log_path(graded.id).read_text()
    again = submit(capbatch, "capjobs", "sandboxed")  # a sandbox agent is seen now
    assert wait_until(store, again.id).agent_id == sandbox_agent.agent_id


def test_a_job_requiring_what_no_agent_declares_is_refused_and_nothing_is_saved(
    store: Store, capbatch: Batch, start_agent: StartAgent
) -> None:
    start_agent("sandbox")
    start_agent()
    with pytest.raises(Unplaceable) as refused:
        capbatch.submit(InvocationRequest(family="capjobs", job_name="gpu"))
    assert "gpu" in str(refused.value)
    assert "capjobs/gpu" in str(refused.value)
    assert store.list() == []
    assert store.count_by_state() == {}


def test_a_job_requiring_a_capability_is_accepted_and_waits_when_no_agent_was_ever_seen(
    store: Store, capbatch: Batch
) -> None:
    assert store.agents() == []
    inv = submit(capbatch, "capjobs", "gpu")
    stored = store.get(inv.id)
    assert (stored.state, stored.requires, stored.agent_id) == (State.QUEUED, ("gpu",), None)


def test_an_agent_declaring_gpu_runs_gpu_work_the_others_leave(
    store: Store, capbatch: Batch, start_agent: StartAgent
) -> None:
    gpu = submit(capbatch, "capjobs", "gpu")  # no agent seen yet: accepted
    plain_agent = start_agent()
    sandbox_agent = start_agent("sandbox")
    behind = submit(capbatch, "capjobs", "plain")
    assert wait_until(store, behind.id).state is State.SUCCEEDED
    assert store.get(gpu.id).state is State.QUEUED
    both = start_agent("gpu", "sandbox")
    done = wait_until(store, gpu.id)
    assert done.state is State.SUCCEEDED and done.agent_id == both.agent_id
    assert done.agent_id not in (plain_agent.agent_id, sandbox_agent.agent_id)


def test_a_retry_of_sandbox_work_still_requires_sandbox(
    store: Store, capbatch: Batch, start_agent: StartAgent
) -> None:
    plain_agent = start_agent()
    sandbox_agent = start_agent("sandbox")
    first = submit(capbatch, "capjobs", "flaky-sandboxed")
    assert wait_until(store, first.id).state is State.FAILED
    [retry] = eventually(
        lambda: [i for i in store.list(family="capjobs") if i.retry_of == first.id],
        bool,
        what="the retry to be queued",
    )
    assert retry.requires == ("sandbox",)
    retried = wait_until(store, retry.id)
    assert retried.state is State.FAILED
    assert {store.get(first.id).agent_id, retried.agent_id} == {sandbox_agent.agent_id}
    assert plain_agent.agent_id not in {i.agent_id for i in store.list()}


def _seen(path: Path) -> dict[str, str]:
    return json.loads(path.read_text())


def test_only_platform_jobs_get_the_platform_env_and_no_job_gets_the_agents_own(
    store: Store,
    capbatch: Batch,
    start_agent: StartAgent,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in AGENT_ONLY.items():
        monkeypatch.setenv(name, value)  # the agent's environment, as `iguazu worker` has it
    platform_env = {
        "IGUAZU_DATABASE_URL": store.url,
        "IGUAZU_ASSIGNMENTS_DIR": str(tmp_path / "assignments"),
        "IGUAZU_WEBHOOK_SECRET": "hook-secret",
    }
    start_agent(platform_env=platform_env)
    runs = {}
    for family in ("capjobs", "capcmd"):
        for name in ("see-env", "platform-see-env"):
            path = tmp_path / f"{family}-{name}.json"
            inv = submit(capbatch, family, name, parameters={"path": str(path)})
            runs[(family, name)] = (inv, path)
    for inv, _ in runs.values():
        assert wait_until(store, inv.id).state is State.SUCCEEDED, store.get(inv.id).reason

    inv, path = runs[("capjobs", "platform-see-env")]
    assert _seen(path) == {**platform_env, "IGUAZU_INVOCATION_ID": inv.id}
    inv, path = runs[("capjobs", "see-env")]
    assert _seen(path) == {"IGUAZU_INVOCATION_ID": inv.id}

    inv, path = runs[("capcmd", "platform-see-env")]
    seen = _seen(path)
    assert {k: seen[k] for k in platform_env} == platform_env
    assert seen["IGUAZU_INVOCATION_ID"] == inv.id
    assert set(seen) == {*platform_env, "IGUAZU_INVOCATION_ID", "IGUAZU_PARAMETERS"}
    inv, path = runs[("capcmd", "see-env")]
    assert set(_seen(path)) == {"IGUAZU_INVOCATION_ID", "IGUAZU_PARAMETERS"}


def test_the_system_hands_its_platform_jobs_the_settings_and_declares_its_capabilities(
    tmp_path: Path,
) -> None:
    assignments = tmp_path / "assignments"
    assignments.mkdir()
    system = System(
        settings(
            tmp_path,
            job_modules=("tests.jobs.capjobs",),
            assignments_dir=assignments,
            webhook_secret="hook-secret",
            agent_capabilities=("sandbox",),
        )
    )
    try:
        dispatcher = system.start_dispatcher()
        [agent] = eventually(system.store.agents, what="the agent to register")
        assert (agent.id, agent.capabilities) == (dispatcher.agent_id, ("sandbox",))
        platform_path, plain_path = tmp_path / "platform.json", tmp_path / "plain.json"
        platform = submit(
            system.batch, "capjobs", "platform-see-env", parameters={"path": str(platform_path)}
        )
        plain = submit(system.batch, "capjobs", "see-env", parameters={"path": str(plain_path)})
        graded = submit(system.batch, "capjobs", "sandboxed")
        for inv in (platform, plain, graded):
            assert wait_until(system.store, inv.id).state is State.SUCCEEDED
        assert _seen(platform_path) == {
            "IGUAZU_DATABASE_URL": system.settings.url,
            "IGUAZU_ASSIGNMENTS_DIR": str(assignments),
            "IGUAZU_WEBHOOK_SECRET": "hook-secret",
            "IGUAZU_INVOCATION_ID": platform.id,
        }
        assert _seen(plain_path) == {"IGUAZU_INVOCATION_ID": plain.id}
    finally:
        system.stop()


def test_an_agent_declares_its_settings_or_sandbox_when_it_can_grade(tmp_path: Path) -> None:
    """Found out: `sandbox` only where a sandbox starts (root, bubblewrap, cgroups, a C
    compiler) AND grading is configured here (without assignments it could not grade)."""
    try:
        Sandbox(spares=0).close()
        boxes = True
    except SandboxUnavailable:
        boxes = False
    assignments = tmp_path / "assignments"
    assignments.mkdir()
    cases = [
        ({"agent_capabilities": None}, ()),  # no assignments: it does not grade
        ({"agent_capabilities": None, "assignments_dir": assignments},
         ("sandbox",) if boxes else ()),
        ({"agent_capabilities": ()}, ()),
        ({"agent_capabilities": ("gpu",)}, ("gpu",)),
    ]  # fmt: skip
    for k, (given, expected) in enumerate(cases):
        system = System(settings(tmp_path / str(k), **given))
        try:
            assert system.capabilities() == expected
        finally:
            system.stop()
