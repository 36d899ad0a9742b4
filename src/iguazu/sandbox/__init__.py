"""Runs untrusted programs: bubblewrap namespaces, cgroup limits, seccomp and rlimits behind
one call that returns a fixed report.

    from iguazu.sandbox import File, Limits, Sandbox, Status

    report = Sandbox().run(["python3", "main.py"], files={"main.py": source},
                           stdin=b"...", limits=Limits(cpu_time=1.0))
    if report.status is Status.OK: ...

See box.py for how one run goes, report.py for the limits and the report.
"""

from .box import Sandbox
from .report import KIB, MIB, File, Limits, RunReport, Status

__all__ = ["KIB", "MIB", "File", "Limits", "RunReport", "Sandbox", "Status"]
