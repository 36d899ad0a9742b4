"""Scheduled Jobs: the seed's table (ID, Cron Expression, Next Invocation, Family, Job Name,
Actions) with each expression in English, a filter, a schedule's page (its settings, next
fires and every fire it made, SKIPPED ones with their reason), and the form that creates or
edits one with a live preview of the expression as it is typed.

Viewers read; creating, editing, pausing, resuming, triggering and deleting need a developer.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..accounts import Session
from ..errors import CronError, InvalidRequest
from ..models import Role, Schedule
from .auth import safe_next, signed_in
from .render import page, viewer_zone
from .schedule_form import Form as ScheduleForm
from .schedule_form import explain, job_choices, preview

if TYPE_CHECKING:
    from . import UI

HISTORY = 50  # fires shown on a schedule's page
DONE = {  # ?done=... after an action: what the page says happened
    "created": "Saved the schedule.",
    "updated": "Saved your changes.",
    "paused": "Paused: it fires no more until it is resumed.",
    "resumed": "Resumed: it fires again from its next fire time.",
    "triggered": "Queued one invocation now.",
    "deleted": "Deleted the schedule; its invocations stay.",
}


def router(ui: UI) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    viewer = signed_in(ui.accounts)
    dev = signed_in(ui.accounts, Role.DEVELOPER)

    def may_edit(session: Session) -> bool:
        return session.user.role.may(Role.DEVELOPER)

    @r.get("/schedules")
    def table(
        request: Request,
        q: str = "",
        paused: str = "",
        done: str = "",
        session: Session = Depends(viewer),
    ) -> Response:
        state = {"yes": True, "no": False}.get(paused)
        rows = ui.schedules.list(paused=state, limit=1000)
        words = q.strip().lower().split()
        if words:
            rows = [s for s in rows if all(w in s.job.lower() for w in words)]
        return page(
            request, "schedules.html", session, rows=rows, q=q, paused=paused,
            explain=explain, may_edit=may_edit(session), done=DONE.get(done, ""),
        )  # fmt: skip

    def form_page(
        request: Request, session: Session, form: ScheduleForm, schedule: Schedule | None,
        status: int = 200,
    ) -> Response:  # fmt: skip
        return page(
            request, "schedule_form.html", session, status=status, form=form,
            schedule=schedule, jobs=job_choices(ui.batch.registry),
            queues=sorted(ui.batch.queues), preview=preview(form.cron, form.timezone),
            zones=zone_names(),
        )  # fmt: skip

    @r.get("/schedules/new")
    def new(request: Request, session: Session = Depends(dev)) -> Response:
        zone = getattr(viewer_zone(request), "key", "UTC")
        return form_page(request, session, ScheduleForm(timezone=zone), None)

    @r.get("/schedules/preview")
    def live_preview(
        request: Request, cron: str = "", timezone: str = "UTC",
        session: Session = Depends(viewer),
    ) -> Response:  # fmt: skip
        return page(request, "schedule_preview.html", session, preview=preview(cron, timezone))

    def save(
        request: Request, session: Session, form: ScheduleForm, schedule: Schedule | None
    ) -> Response:
        wanted = form.request()
        if wanted is not None:
            try:
                if schedule is None:
                    saved, done = ui.schedules.create(wanted), "created"
                else:
                    saved, done = ui.schedules.update(schedule.id, wanted), "updated"
                return RedirectResponse(f"/schedules/{saved.id}?done={done}", status_code=303)
            except InvalidRequest as exc:
                form.refused(exc)
        return form_page(request, session, form, schedule, status=422)

    @r.post("/schedules/new")
    def create(
        request: Request,
        session: Session = Depends(dev),
        form: ScheduleForm = Depends(ScheduleForm.posted),
    ) -> Response:
        return save(request, session, form, None)

    @r.get("/schedules/{schedule_id}")
    def detail(
        request: Request, schedule_id: str, done: str = "", session: Session = Depends(viewer)
    ) -> Response:
        schedule = ui.schedules.get(schedule_id)
        try:
            upcoming = ui.schedules.preview(schedule.cron, schedule.timezone, 5).fires
        except CronError:  # its years are over
            upcoming = []
        return page(
            request, "schedule.html", session, s=schedule, upcoming=upcoming,
            cron_words=explain(schedule.cron), may_edit=may_edit(session),
            history=ui.schedules.invocations(schedule_id, HISTORY), done=DONE.get(done, ""),
        )  # fmt: skip

    @r.get("/schedules/{schedule_id}/history")
    def history(request: Request, schedule_id: str, session: Session = Depends(viewer)) -> Response:
        fired = ui.schedules.invocations(schedule_id, HISTORY)
        return page(request, "schedule_history.html", session, history=fired)

    @r.get("/schedules/{schedule_id}/edit")
    def edit(request: Request, schedule_id: str, session: Session = Depends(dev)) -> Response:
        schedule = ui.schedules.get(schedule_id)
        return form_page(request, session, ScheduleForm.of(schedule), schedule)

    @r.post("/schedules/{schedule_id}/edit")
    def update(
        request: Request,
        schedule_id: str,
        session: Session = Depends(dev),
        form: ScheduleForm = Depends(ScheduleForm.posted),
    ) -> Response:
        schedule = ui.schedules.get(schedule_id)
        return save(request, session, form, schedule)

    def back(next_path: str, schedule_id: str, done: str) -> Response:
        target = safe_next(next_path or f"/schedules/{schedule_id}")
        glue = "&" if "?" in target else "?"
        return RedirectResponse(f"{target}{glue}done={done}", status_code=303)

    @r.post("/schedules/{schedule_id}/pause")
    def pause(schedule_id: str, next: str = Form(""), session: Session = Depends(dev)) -> Response:
        ui.schedules.pause(schedule_id)
        return back(next, schedule_id, "paused")

    @r.post("/schedules/{schedule_id}/resume")
    def resume(schedule_id: str, next: str = Form(""), session: Session = Depends(dev)) -> Response:
        ui.schedules.resume(schedule_id)
        return back(next, schedule_id, "resumed")

    @r.post("/schedules/{schedule_id}/trigger")
    def trigger(
        schedule_id: str, next: str = Form(""), session: Session = Depends(dev)
    ) -> Response:
        ui.schedules.trigger(schedule_id)
        return back(next, schedule_id, "triggered")

    @r.post("/schedules/{schedule_id}/delete")
    def delete(schedule_id: str, session: Session = Depends(dev)) -> Response:
        ui.schedules.delete(schedule_id)
        return RedirectResponse("/schedules?done=deleted", status_code=303)

    return r


@functools.cache
def zone_names() -> list[str]:
    """IANA names for the time zone field's suggestions."""
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
