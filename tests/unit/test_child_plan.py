"""What crosses the zygote's pipe survives the trip."""

from __future__ import annotations

import json

from iguazu.cluster.child import Plan
from iguazu.models import Isolation


def test_a_plan_survives_json() -> None:
    plan = Plan(
        invocation_id="abc",
        family="shell",
        job_name="du",
        argv=("du", "-sh", "/tmp"),
        parameters={"deep": {"list": [1, 2]}},
        isolation=Isolation.CGROUP,
        reserved_memory=64,
        cgroup_procs=("/sys/fs/cgroup/memory/iguazu/a/abc/cgroup.procs",),
        log_path="/var/logs/ab/abc.log",
    )
    assert Plan.from_json(json.loads(json.dumps(plan.to_json()))) == plan


def test_a_python_plan_without_a_log_stays_on_the_terminal() -> None:
    plan = Plan(invocation_id="x", family="f", job_name="j", target="m:C")
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert again == plan
    assert again.log_path is None and again.isolation is Isolation.NONE
