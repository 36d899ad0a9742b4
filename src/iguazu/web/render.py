"""Pages: the Jinja2 environment (templates/ beside this file), the filters every page uses,
and `page()`, which renders a template for the signed-in person.

Times are shown in the viewer's zone: the browser says which in the `tz` cookie (static/app.js
sets it from Intl on the first page), UTC until it has.
"""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ..accounts import Session
from ..api.routes import MAX_DEPTH, too_deep
from ..cron.humanize import calendar_time
from ..models import State, utcnow

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

STATE_CLASS = {  # a colour per kind of state (app.css)
    State.QUEUED: "wait", State.STARTING: "run", State.RUNNING: "run",
    State.SUCCEEDED: "ok", State.FAILED: "bad", State.TIMED_OUT: "bad", State.LOST: "bad",
    State.CANCELLED: "off", State.SKIPPED: "off",
}  # fmt: skip


def viewer_zone(request: Request) -> tzinfo:
    name = request.cookies.get("tz", "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder of tzdata
        return ZoneInfo("UTC")


def page(
    request: Request, template: str, session: Session | None, status: int = 200, **context: Any
) -> HTMLResponse:
    zone = viewer_zone(request)
    now = utcnow()

    def when(value: datetime | None, missing: str = "N/A") -> str:
        """ "Today at 4:15 PM PDT" (else "July 9th 2015 at 4:15 PM PDT"), the viewer's zone."""
        if value is None:
            return missing
        return calendar_time(value, now=now, tz=zone)

    def stamp(value: datetime | None, missing: str = "N/A") -> str:
        if value is None:
            return missing
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")

    return templates.TemplateResponse(
        request,
        template,
        {
            "session": session,
            "user": session.user if session else None,
            "csrf": session.csrf if session else "",
            "when": when,
            "stamp": stamp,
            "zone": getattr(zone, "key", "UTC"),
            "state_class": lambda state: STATE_CLASS.get(State(state), ""),
            "pretty": lambda value: json.dumps(value, indent=2, ensure_ascii=False),
            **context,
        },
        status_code=status,
    )


def strict_json(text: str) -> Any:
    """JSON as the API reads it: no NaN or Infinity, no nesting deep enough to crash us;
    ValueError saying where it is wrong."""

    def refuse(name: str) -> Any:
        raise ValueError(f"not valid JSON: {name} is not a JSON value")

    try:
        value = json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ValueError(f"not valid JSON: {exc.msg} ({where})") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply") from None
    if too_deep(value):
        raise ValueError(f"not valid JSON: nested too deeply (more than {MAX_DEPTH} levels)")
    return value
