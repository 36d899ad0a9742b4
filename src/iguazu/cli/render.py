"""How the client commands show things: Rich tables that fit the terminal, local times,
state colours."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..models import Invocation, State

STYLES = {
    State.SUCCEEDED: "green",
    State.FAILED: "red",
    State.TIMED_OUT: "red",
    State.LOST: "red",
    State.CANCELLED: "yellow",
    State.SKIPPED: "yellow",
    State.RUNNING: "cyan",
    State.STARTING: "cyan",
}


def console() -> Console:
    """Rich output on whatever sys.stdout is now. Piped into grep or a file, rows are not
    folded to 80 columns: a table row stays one line."""
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 250
    return Console(highlight=False, width=width)


def table(*headers: str, **kwargs: Any) -> Table:
    return Table(*headers, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, **kwargs)


def fitted(
    out: Console,
    headers: list[str],
    rows: list[list[str | Text]],
    *,
    wrap: set[str],
    optional: list[str],
) -> Table:
    """A table that fits the terminal: values stay whole (only the `wrap` columns fold
    between words), and `optional` columns are left out, first ones first, until it fits."""
    shown = list(headers)
    for drop in [None, *optional]:
        if drop is not None:
            shown.remove(drop)
        picked = [[row[headers.index(h)] for h in shown] for row in rows]
        result = table(*shown)
        for column in result.columns:
            column.no_wrap = column.header not in wrap
        for cells in picked:
            result.add_row(*cells)
        if _least_width(shown, picked, wrap) <= out.width:
            break
    return result


def _least_width(headers: list[str], rows: list[list[str | Text]], wrap: set[str]) -> int:
    """Columns a table needs to show every value whole: a `wrap` column its longest word,
    any other its longest value; plus the padding and separators between columns."""
    total = 3 * (len(headers) - 1)
    for index, header in enumerate(headers):
        cells = [header, *(str(row[index]) for row in rows)]
        if header in wrap:
            total += max(len(word) for cell in cells for word in (cell.split() or [""]))
        else:
            total += max(len(cell) for cell in cells)
    return total


def when(value: datetime | None, missing: str = "-", zone: bool = True) -> str:
    """A time in the viewer's own zone."""
    if value is None:
        return missing
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S" + (" %Z" if zone else ""))


def local_zone() -> str:
    return datetime.now().astimezone().strftime("%Z")


def state_text(state: State) -> Text:
    return Text(state.value, style=STYLES.get(state, ""))


def fields(inv: Invocation) -> list[tuple[str, str | Text]]:
    timeout = f", timeout {inv.timeout:g} s" if inv.timeout else ""
    attempt = f"{inv.attempt} of {inv.max_attempts}" + (
        f" (retry of {inv.retry_of})" if inv.retry_of else ""
    )
    state = state_text(inv.state)
    if inv.cancel_requested and not inv.state.terminal:
        state.append(" (cancel requested)")
    return [
        ("Family", inv.family),
        ("Job", inv.job_name),
        ("State", state),
        ("Queue", f"{inv.queue} (priority {inv.priority})"),
        ("Reserved", f"{inv.reserved_cpu} CPU units, {inv.reserved_memory} MiB{timeout}"),
        ("Created", when(inv.created_at)),
        ("Requested time", when(inv.not_before, "N/A")),
        ("Started", when(inv.started_at)),
        ("Ended", when(inv.ended_at)),
        ("Attempt", attempt),
        ("Command", inv.command),
        ("Agent", inv.agent_id or "-"),
        ("Cluster ref", inv.cluster_ref or "-"),
        ("Isolation", inv.isolation.value if inv.isolation else "-"),
        ("Exit code", "-" if inv.exit_code is None else str(inv.exit_code)),
        ("Reason", inv.reason or "-"),
        ("Idempotency key", inv.idempotency_key or "-"),
        ("Parameters", json.dumps(inv.parameters, indent=2, sort_keys=True)),
    ]


def parameter_names(schema: dict[str, Any] | None) -> str:
    """ "a*, b" from a JSON schema: the parameters a job takes, * for required ones."""
    if not schema:
        return "any"
    required = set(schema.get("required", ()))
    names = [f"{n}*" if n in required else n for n in schema.get("properties", {})]
    return ", ".join(names) or "none"
