"""Invocations: the seed's table with filters and pages, one invocation's page with its
timeline and its log (live while it runs), and Cancel (developers and admins).

The live log is a chain of htmx requests: the log ends with an empty element that asks, a
second later, for what was written after its offset, and is replaced by that text and the
next such element. Once the invocation has ended and its log is read to the end, no element
follows and the page stops asking. When the timeline has grown meanwhile, the answer also
replaces the summary (state, times, exit code, timeline) out of band.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response

from ..accounts import Session
from ..errors import Conflict
from ..models import Invocation, Role, State
from .auth import signed_in
from .render import page, viewer_zone

if TYPE_CHECKING:
    from . import UI

TAIL = 512 * 1024  # bytes of a long log the page shows at first; the raw log has it all
CHUNK = 256 * 1024  # bytes one poll reads at most
PAGE_SIZES = (20, 50, 100, 200)


def whole_utf8(data: bytes) -> int:
    """How many bytes of `data` end on a character boundary (a read may stop inside one)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return len(data)
        if byte >= 0xC0:  # a lead byte: is its sequence complete?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) if back >= need else len(data) - back
    return len(data)


def duration(seconds: float | None) -> str:
    """3600 -> "1 h", 90 -> "1 min 30 s", None -> "none"."""
    if seconds is None:
        return "none"
    whole, parts = int(seconds), []
    for unit, size in (("h", 3600), ("min", 60)):
        if whole >= size:
            parts.append(f"{whole // size} {unit}")
            whole %= size
    if whole or not parts:
        parts.append(f"{whole if seconds >= 1 else seconds:g} s")
    return " ".join(parts)


def router(ui: UI) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    viewer = signed_in(ui.accounts)
    dev = signed_in(ui.accounts, Role.DEVELOPER)
    batch = ui.batch

    def parse_time(request: Request, text: str, what: str, errors: list[str]) -> datetime | None:
        if not text.strip():
            return None
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            errors.append(f"{what} {text!r} is not a date and time")
            return None
        value = value if value.tzinfo else value.replace(tzinfo=viewer_zone(request))
        try:
            return value.astimezone(UTC)  # as the store will: the year 9999 in -14:00 is not
        except OverflowError:
            errors.append(f"{what} {text!r} is out of range")
            return None

    @r.get("/invocations")
    def invocation_list(
        request: Request,
        family: str = "",
        job: str = "",
        state: list[str] = Query([]),
        queue: str = "",
        since: str = "",
        until: str = "",
        limit: int = 50,
        offset: int = 0,
        session: Session = Depends(viewer),
    ) -> Response:
        errors: list[str] = []
        states: list[State] = []
        for given in (s.strip().upper() for item in state for s in item.split(",")):
            if given in State.__members__:
                states.append(State(given))
            elif given:
                errors.append(f"there is no state {given}")
        fam, name = family.strip() or None, job.strip() or None
        if name and "/" in name:
            fam, name = name.split("/", 1)
        limit, offset = min(max(limit, 1), 500), min(max(offset, 0), 10**9)
        start = parse_time(request, since, "since", errors)
        end = parse_time(request, until, "until", errors)
        found = batch.store.list(
            family=fam, job_name=name, states=states, queue=queue.strip() or None,
            since=start, until=end, limit=limit + 1, offset=offset,
        )  # fmt: skip
        chosen = [s.value for s in states]
        kept: dict[str, Any] = {"family": family, "job": job, "queue": queue, "since": since,
                                "until": until, "limit": limit}  # fmt: skip

        def link(to: int) -> str:
            pairs = [(k, v) for k, v in kept.items() if v] + [("state", s) for s in chosen]
            return "/invocations?" + urlencode([*pairs, ("offset", to)] if to else pairs)

        specs = list(batch.registry)
        return page(
            request, "invocations.html", session, invocations=found[:limit], errors=errors,
            chosen=set(chosen), filters=kept, all_states=list(State),
            families=sorted({s.family for s in specs}), jobs=[s.key for s in specs],
            queues=sorted(batch.queues), page_sizes=PAGE_SIZES, offset=offset,
            newer=link(max(offset - limit, 0)) if offset else "",
            older=link(offset + limit) if len(found) > limit else "",
        )  # fmt: skip

    def summary_context(inv: Invocation, session: Session) -> dict[str, Any]:
        retries = batch.store.list(retry_of=inv.id, limit=1)
        events = batch.events(inv.id)
        # What the summary shows: the record and its timeline, read one after the other (the
        # timeline may be a step ahead; the next poll sees the record changed).
        retry = retries[0].id if retries else None
        shown = (inv.state, inv.cancel_requested, inv.reason, inv.exit_code, inv.started_at,
                 inv.ended_at, inv.agent_id, retry, len(events))  # fmt: skip
        return {
            "version": f"{zlib.crc32(repr(shown).encode()):08x}",
            "duration": duration,
            "inv": inv,
            "events": events,
            "retried_as": retries[0] if retries else None,
            "may_cancel": session.user.role.may(Role.DEVELOPER),
        }

    def detail(
        request: Request, session: Session, inv_id: str, error: str = "", status: int = 200
    ) -> Response:
        inv = batch.get(inv_id)  # NotFound: the 404 page
        path = batch.log_path(inv.id)
        size = path.stat().st_size if path.exists() else 0
        start = max(size - TAIL, 0)
        data, offset = batch.read_log(inv.id, start, TAIL + CHUNK)
        done = inv.state.terminal and offset >= size
        keep = len(data) if done else whole_utf8(data)
        context = summary_context(inv, session)
        return page(
            request, "invocation.html", session, status=status, error=error,
            log=data[:keep].decode("utf-8", "replace"), cut=start > 0,
            offset=start + keep, done=done, **context,
        )  # fmt: skip

    @r.get("/invocations/{inv_id}")
    def invocation_detail(
        request: Request, inv_id: str, session: Session = Depends(viewer)
    ) -> Response:
        return detail(request, session, inv_id)

    @r.get("/invocations/{inv_id}/log")
    def log_since(
        request: Request,
        inv_id: str,
        offset: int = 0,
        seen: str = "",
        session: Session = Depends(viewer),
    ) -> Response:
        """What the log gained since `offset`, the next poll while there may be more, and
        the summary again when it has changed since the `seen` version."""
        inv = batch.get(inv_id)  # first: once it has ended, its log is complete
        data, after = batch.read_log(inv.id, max(offset, 0), CHUNK)
        done = inv.state.terminal and len(data) < CHUNK
        keep = len(data) if done else whole_utf8(data)
        context = summary_context(inv, session)
        grown = context["version"] != seen
        return page(
            request, "invocation_log.html", session, text=data[:keep].decode("utf-8", "replace"),
            offset=max(offset, 0) + keep, done=done, grown=grown,
            **context,
        )  # fmt: skip

    @r.get("/invocations/{inv_id}/log.txt")
    def raw_log(inv_id: str, session: Session = Depends(viewer)) -> Response:
        inv = batch.get(inv_id)
        path = batch.log_path(inv.id)
        if not path.exists():
            return PlainTextResponse("")
        return FileResponse(path, media_type="text/plain; charset=utf-8")

    @r.post("/invocations/{inv_id}/cancel")
    def cancel(request: Request, inv_id: str, session: Session = Depends(dev)) -> Response:
        try:
            batch.cancel(inv_id)
        except Conflict as exc:
            return detail(request, session, inv_id, f"Not cancelled: {exc.message}", 409)
        return RedirectResponse(f"/invocations/{inv_id}", status_code=303)

    return r
