"""`iguazu ...`: the command line (Typer + Rich).

Commands live in modules by audience: `client` talks to a running API (submit, ls, show,
logs, cancel, jobs); `schedules` manages recurring schedules through it (`schedule add`, `ls`,
`show`, `pause`, `resume`, `rm`, `trigger`) and explains cron expressions locally (`cron`);
`server` starts the system (up, api, worker, migrate); `local` runs a job in the foreground
(run); `grade` grades programming assignments on this machine (grade local, grade check);
`submissions` grades them through the API (grade submit, status, history, assignments);
`users` keeps the web UI's accounts (user add, ls, password, token, role, disable).
Only the CLI reads the environment and `iguazu.toml`.
"""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Iguazú batch platform.")


def main() -> None:
    from . import (  # noqa: F401  (each registers on `app`)
        client,
        grade,
        local,
        schedules,
        server,
        submissions,
        users,
    )

    app()
