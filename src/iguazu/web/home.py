"""Home: what runs now, how deep each queue is, what failed or was skipped in the last 24
hours, and each agent's capacity used against what it offers."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..accounts import Session
from ..models import State, utcnow
from .auth import signed_in
from .render import page

if TYPE_CHECKING:
    from . import UI

TROUBLE = (State.FAILED, State.TIMED_OUT, State.LOST, State.SKIPPED)


def router(ui: UI) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    viewer = signed_in(ui.accounts)

    @r.get("/")
    def home(request: Request, session: Session = Depends(viewer)) -> Response:
        batch = ui.batch
        since = utcnow() - timedelta(hours=24)
        running = batch.list(states=[State.STARTING, State.RUNNING], limit=50)
        trouble = batch.list(states=TROUBLE, since=since, limit=200)
        counts = {s: sum(1 for i in trouble if i.state is s) for s in TROUBLE}
        depths = batch.store.queued_by_queue()
        queues = [
            (q, depths.get(q.name, 0))
            for q in sorted(batch.queues.values(), key=lambda q: (-q.priority, q.name))
        ]
        return page(
            request, "home.html", session, running=running, trouble=trouble[:20],
            counts=counts, queues=queues, agents=batch.agents(),
        )  # fmt: skip

    return r
