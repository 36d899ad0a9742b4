"""The /api/v1 routes of schedules and cron previews: a thin shell over Schedules, which
checks everything (expression, zone, job, queue, parameters) before it writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Depends, Query, Request, Response

from ..errors import InvalidRequest
from ..schedules import MAX_PREVIEW, Schedules
from .errors import describe
from .routes import read_object
from .schedule_schemas import CronPreview, ScheduleDetail, ScheduleIn, ScheduleList, ScheduleOut
from .schemas import ErrorOut, InvocationOut, Time

RECENT = 20  # invocations shown with a schedule


async def _read_schedule(request: Request) -> ScheduleIn:
    data = await read_object(request)
    try:
        return ScheduleIn.model_validate(data)
    except pydantic.ValidationError as exc:
        raise InvalidRequest(describe(exc.errors(include_url=False))) from None


# Enums are referenced as components, which ScheduleOut puts in the OpenAPI document.
_SCHEDULE_SCHEMA = ScheduleIn.model_json_schema(ref_template="#/components/schemas/{model}")
_SCHEDULE_SCHEMA.pop("$defs", None)
_SCHEDULE_BODY = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": _SCHEDULE_SCHEMA}}}
}


def schedule_router(schedules: Schedules, auth: Callable[..., Any] | None = None) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1",
        dependencies=[Depends(auth)] if auth else [],
        responses={"4XX": {"model": ErrorOut, "description": "the request was refused"}},
    )

    @router.post(
        "/schedules", status_code=201, response_model=ScheduleOut, openapi_extra=_SCHEDULE_BODY
    )
    def create_schedule(
        body: Annotated[ScheduleIn, Depends(_read_schedule)], response: Response
    ) -> ScheduleOut:
        """Save a recurring schedule of a job. A refused one (bad expression or zone, one that
        never fires, unknown job or queue, bad parameters) saves nothing."""
        try:
            request = body.to_model()
        except ValueError as exc:  # the schema's bounds should have said it first
            raise InvalidRequest(str(exc)) from None
        schedule = schedules.create(request)
        response.headers["Location"] = f"/api/v1/schedules/{schedule.id}"
        return ScheduleOut.from_model(schedule)

    @router.get("/schedules", response_model=ScheduleList)
    def list_schedules(
        family: str | None = None,
        job_name: str | None = None,
        paused: bool | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> ScheduleList:
        """Schedules, soonest next fire first; those that never fire again last."""
        found = schedules.list(
            family=family, job_name=job_name, paused=paused, limit=limit, offset=offset
        )
        return ScheduleList(schedules=[ScheduleOut.from_model(s) for s in found])

    @router.get("/schedules/{schedule_id}", response_model=ScheduleDetail)
    def get_schedule(schedule_id: str) -> ScheduleDetail:
        """The schedule and its latest invocations, newest first."""
        schedule = schedules.get(schedule_id)
        return ScheduleDetail.build(schedule, schedules.invocations(schedule_id, RECENT))

    @router.put(
        "/schedules/{schedule_id}", response_model=ScheduleOut, openapi_extra=_SCHEDULE_BODY
    )
    def update_schedule(
        schedule_id: str, body: Annotated[ScheduleIn, Depends(_read_schedule)]
    ) -> ScheduleOut:
        """Replace a schedule's settings with the body's (as POST takes them: a field left
        out takes its default, so `paused` left out resumes it). It keeps its id, creation
        time and last fire; its next fire is recomputed from now. A refused change (as POST
        refuses) changes nothing."""
        try:
            request = body.to_model()
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        return ScheduleOut.from_model(schedules.update(schedule_id, request))

    @router.post("/schedules/{schedule_id}/pause", response_model=ScheduleOut)
    def pause_schedule(schedule_id: str) -> ScheduleOut:
        """It stops firing; fires while paused are not made up on resume."""
        return ScheduleOut.from_model(schedules.pause(schedule_id))

    @router.post("/schedules/{schedule_id}/resume", response_model=ScheduleOut)
    def resume_schedule(schedule_id: str) -> ScheduleOut:
        """It fires again from its next fire time after now."""
        return ScheduleOut.from_model(schedules.resume(schedule_id))

    @router.delete("/schedules/{schedule_id}", status_code=204, response_class=Response)
    def delete_schedule(schedule_id: str) -> Response:
        """It fires no more; its invocations stay, and live ones run on."""
        schedules.delete(schedule_id)
        return Response(status_code=204)

    @router.post("/schedules/{schedule_id}/trigger", status_code=201, response_model=InvocationOut)
    def trigger_schedule(schedule_id: str, response: Response) -> InvocationOut:
        """Queue one invocation of it now, beside its regular fires."""
        inv = schedules.trigger(schedule_id)
        response.headers["Location"] = f"/api/v1/invocations/{inv.id}"
        return InvocationOut.from_model(inv)

    @router.get("/cron/preview", response_model=CronPreview)
    def preview_cron(
        expression: Annotated[str, Query(description="Unix or Quartz cron expression")],
        timezone: str = "UTC",
        count: Annotated[int, Query(ge=1, le=MAX_PREVIEW)] = 10,
        after: Annotated[Time | None, Query(description="default: now")] = None,
    ) -> CronPreview:
        """Check an expression, say it in English and list its next fire times."""
        preview = Schedules.preview(expression, timezone, count, after)
        return CronPreview(
            expression=preview.cron.expression,
            dialect=preview.cron.dialect,
            description=preview.description,
            timezone=preview.timezone,
            fires=preview.fires,
        )

    return router
