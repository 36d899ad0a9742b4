"""The /api/v1 routes: a thin shell over Batch, which validates everything before it writes.

Routes are plain `def`: Batch and the store are synchronous, so FastAPI runs each request in
its thread pool instead of blocking the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Depends, Query, Request, Response

from ..batch import Batch
from ..errors import (
    IguazuError,
    InvalidRequest,
    MalformedJSON,
    PayloadTooLarge,
    UnknownJob,
)
from ..models import State
from .errors import describe
from .metrics import Metrics
from .schemas import (
    AgentList,
    AgentOut,
    ErrorOut,
    InvocationDetail,
    InvocationIn,
    InvocationList,
    InvocationOut,
    JobList,
    JobOut,
    QueueList,
    QueueOut,
    Time,
    json_kind,
)

MAX_BODY = 1 << 20  # bytes; parameters are meant to be small, data goes elsewhere


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (and PostgreSQL) does not.
    raise ValueError(f"{name} is not a JSON value")


MAX_DEPTH = 64  # levels of JSON nesting: deeper cannot be stored and read back (pydantic)


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` (decoded JSON) nests lists and objects more than `limit` deep."""
    level = [value] if isinstance(value, dict | list) else []  # the containers at depth 1
    for _ in range(limit):
        if not level:
            return False
        level = [
            inner
            for item in level
            for inner in (item.values() if isinstance(item, dict) else item)
            if isinstance(inner, dict | list)
        ]
    return bool(level)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused (PayloadTooLarge) as soon as it is known to pass `limit`:
    by its Content-Length before anything is read, else while it streams in."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit)
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise PayloadTooLarge(limit)
    return bytes(raw)


async def read_object(request: Request) -> dict[str, Any]:
    """Parse the body ourselves: any Content-Type is accepted (curl -d sends a form type), a
    body over the limit is refused before it is all read, and the errors say what is wrong."""
    raw = await read_body(request, MAX_BODY)
    if not raw.strip():
        raise MalformedJSON("the body is empty; send a JSON object")
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError for bytes not UTF-8
        raise MalformedJSON(str(exc)) from None
    except RecursionError:
        raise MalformedJSON(f"nested more than {MAX_DEPTH} deep") from None
    if too_deep(data):
        raise MalformedJSON(f"nested more than {MAX_DEPTH} deep")
    if not isinstance(data, dict):
        raise InvalidRequest(f"the request body must be a JSON object, not {json_kind(data)}")
    return data


async def _read_invocation(request: Request) -> InvocationIn:
    data = await read_object(request)
    try:
        return InvocationIn.model_validate(data)
    except pydantic.ValidationError as exc:
        raise InvalidRequest(describe(exc.errors(include_url=False))) from None


_INVOCATION_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": InvocationIn.model_json_schema()}},
    }
}


def api_router(batch: Batch, metrics: Metrics, auth: Callable[..., Any] | None = None) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1",
        dependencies=[Depends(auth)] if auth else [],
        responses={"4XX": {"model": ErrorOut, "description": "the request was refused"}},
    )

    @router.post(
        "/invocations",
        status_code=201,
        response_model=InvocationOut,
        openapi_extra=_INVOCATION_BODY,
        responses={200: {"model": InvocationOut, "description": "idempotency key seen before"}},
    )
    def create_invocation(
        body: Annotated[InvocationIn, Depends(_read_invocation)], response: Response
    ) -> InvocationOut:
        """Queue an invocation (deferred when run_at is in the future). With an idempotency
        key used before, nothing is written and the first invocation is returned (200)."""
        request = body.to_model()
        job = f"{request.family}/{request.job_name}"
        try:
            inv, created = batch.submit(request)
        except UnknownJob:
            metrics.submitted("(unknown)", "UnknownJob")  # not the caller's text: bounded labels
            raise
        except Exception as exc:
            metrics.submitted(job, type(exc).__name__ if isinstance(exc, IguazuError) else "error")
            raise
        metrics.submitted(job, "created" if created else "duplicate")
        response.status_code = 201 if created else 200
        response.headers["Location"] = f"/api/v1/invocations/{inv.id}"
        return InvocationOut.from_model(inv)

    @router.get("/invocations", response_model=InvocationList)
    def list_invocations(
        family: str | None = None,
        job_name: str | None = None,
        state: Annotated[list[State] | None, Query(description="repeatable")] = None,
        since: Annotated[Time | None, Query(description="created at or after")] = None,
        until: Annotated[Time | None, Query(description="created before")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> InvocationList:
        """Invocations, newest first."""
        found = batch.list(
            family=family,
            job_name=job_name,
            states=state or (),
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
        return InvocationList(invocations=[InvocationOut.from_model(i) for i in found])

    @router.get("/invocations/{invocation_id}", response_model=InvocationDetail)
    def get_invocation(invocation_id: str) -> InvocationDetail:
        """The invocation and its timeline."""
        inv = batch.get(invocation_id)
        return InvocationDetail.build(inv, batch.events(invocation_id))

    @router.post("/invocations/{invocation_id}/cancel", response_model=InvocationOut)
    def cancel_invocation(invocation_id: str) -> InvocationOut:
        """A QUEUED invocation ends CANCELLED at once; a running one is flagged for its agent
        to kill (it shows cancel_requested until it ends). 409 if it has already ended."""
        return InvocationOut.from_model(batch.cancel(invocation_id))

    @router.get(
        "/invocations/{invocation_id}/logs",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "log bytes from offset"}},
    )
    def read_log(invocation_id: str, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
        """The log from byte `offset`. X-Next-Offset says where to read next; a follower
        stops once X-Invocation-State is terminal and a read returns nothing."""
        # The state is read before the log: if it is terminal here, the bytes read below are
        # the whole rest of the log, so "terminal and empty" really means drained.
        state = batch.get(invocation_id).state
        data, next_offset = batch.read_log(invocation_id, offset)
        return Response(
            data,
            media_type="text/plain; charset=utf-8",
            headers={"X-Next-Offset": str(next_offset), "X-Invocation-State": state.value},
        )

    @router.get("/jobs", response_model=JobList)
    def list_jobs() -> JobList:
        return JobList(jobs=[JobOut.from_model(spec) for spec in batch.registry])

    @router.get("/queues", response_model=QueueList)
    def list_queues() -> QueueList:
        queues = sorted(batch.queues.values(), key=lambda q: (-q.priority, q.name))
        return QueueList(queues=[QueueOut.from_model(q) for q in queues])

    @router.get("/agents", response_model=AgentList)
    def list_agents() -> AgentList:
        return AgentList(agents=[AgentOut.from_model(a) for a in batch.agents()])

    return router
