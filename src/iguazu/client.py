"""The Python client of the batch API (synchronous, httpx).

    with iguazu.Client("http://127.0.0.1:8000", token) as client:
        inv_id = client.create(InvocationRequest(family="mailer", job_name="recommendationsEmail",
                                                 parameters={"learners": ["ada"], "course": "ml"}))
        print(client.wait(inv_id).state)

Every refusal from the API raises RemoteError carrying the server's status and message; a
server that cannot be reached raises Unreachable.
"""

from __future__ import annotations

import builtins
import codecs
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from .api.grid_schemas import HistoryOut, SubmissionOut
from .api.schedule_schemas import (
    CronPreview,
    ScheduleDetail,
    ScheduleOut,
    schedule_request_json,
)
from .api.schemas import InvocationDetail, InvocationOut, request_json
from .errors import RemoteError, Unreachable, WaitTimeout
from .models import (
    Event,
    History,
    Invocation,
    InvocationRequest,
    Schedule,
    ScheduleRequest,
    State,
    Submission,
)

# Polling backoff: quick first looks for short jobs, then at most two requests a second.
FIRST_DELAY = 0.02
MAX_DELAY = 0.5


class Client:
    def __init__(self, url: str, token: str | None = None, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        headers = {"User-Agent": "iguazu-client"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- invocations ----------------------------------------------------------------------

    def create(self, request: InvocationRequest) -> str:
        """Queue an invocation; returns its id (the first one's, for a repeated
        idempotency key)."""
        resp = self._call("POST", "/api/v1/invocations", json=request_json(request))
        return str(resp.json()["id"])

    def get(self, invocation_id: str) -> Invocation:
        return InvocationOut.model_validate(self._detail(invocation_id)).to_model()

    def events(self, invocation_id: str) -> builtins.list[Event]:
        """The invocation's timeline, oldest first."""
        return self.detail(invocation_id)[1]

    def detail(self, invocation_id: str) -> tuple[Invocation, builtins.list[Event]]:
        """The invocation and its timeline, in one request."""
        detail = InvocationDetail.model_validate(self._detail(invocation_id))
        return detail.to_model(), [e.to_model(invocation_id) for e in detail.events]

    def cancel(self, invocation_id: str) -> Invocation:
        """Cancel it: a QUEUED invocation ends CANCELLED at once, a running one is killed by
        its agent shortly. RemoteError 409 if it had already ended."""
        body = self._call("POST", f"/api/v1/invocations/{invocation_id}/cancel").json()
        return InvocationOut.model_validate(body).to_model()

    def wait(self, invocation_id: str, timeout: float | None = None) -> Invocation:
        """Poll until the invocation has ended; WaitTimeout after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = FIRST_DELAY
        while True:
            inv = self.get(invocation_id)
            if inv.state.terminal:
                return inv
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WaitTimeout(invocation_id, timeout or 0.0, inv.state.value)
                delay = min(delay, left)
            time.sleep(delay)
            delay = min(delay * 1.5, MAX_DELAY)

    # -- logs -----------------------------------------------------------------------------

    def logs(self, invocation_id: str, offset: int = 0) -> tuple[str, int]:
        """Log text from byte `offset`, and the offset to read from next. A character cut in
        two by the read is left for the next call rather than garbled."""
        data, next_offset, _ = self._log_chunk(invocation_id, offset)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        text = decoder.decode(data)
        pending = len(decoder.getstate()[0])
        if pending and not text:  # nothing whole to give: do not stall the caller
            return decoder.decode(b"", final=True), next_offset
        return text, next_offset - pending

    def follow(self, invocation_id: str) -> Iterator[str]:
        """Log text as it grows, until the invocation has ended and its log is drained."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        offset, delay = 0, FIRST_DELAY
        while True:
            data, offset, state = self._log_chunk(invocation_id, offset)
            if data:
                text = decoder.decode(data)
                if text:
                    yield text
                delay = FIRST_DELAY
                continue  # there may be more already
            if state.terminal:  # the server read the state before the log: nothing is left
                tail = decoder.decode(b"", final=True)
                if tail:
                    yield tail
                return
            time.sleep(delay)
            delay = min(delay * 1.5, MAX_DELAY)

    # -- the platform ---------------------------------------------------------------------

    def jobs(self) -> builtins.list[dict[str, Any]]:
        """Registered jobs: family, name, reservations, timeout, queue, command and the
        JSON schema of their parameters."""
        return list(self._call("GET", "/api/v1/jobs").json()["jobs"])

    def queues(self) -> builtins.list[dict[str, Any]]:
        return list(self._call("GET", "/api/v1/queues").json()["queues"])

    def agents(self) -> builtins.list[dict[str, Any]]:
        return list(self._call("GET", "/api/v1/agents").json()["agents"])

    def list(
        self,
        *,
        family: str | None = None,
        job_name: str | None = None,
        states: Sequence[State | str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[Invocation]:
        """Invocations, newest first. Times must be aware datetimes."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if family is not None:
            params["family"] = family
        if job_name is not None:
            params["job_name"] = job_name
        if states:
            params["state"] = [State(s).value for s in states]
        if since is not None:
            params["since"] = since.isoformat()
        if until is not None:
            params["until"] = until.isoformat()
        body = self._call("GET", "/api/v1/invocations", params=params).json()
        return [InvocationOut.model_validate(i).to_model() for i in body["invocations"]]

    # -- schedules ------------------------------------------------------------------------

    def create_schedule(self, request: ScheduleRequest) -> Schedule:
        """Save a recurring schedule; RemoteError (422, 404 for an unknown job) says why one
        is refused, and then nothing was saved."""
        body = self._call("POST", "/api/v1/schedules", json=schedule_request_json(request))
        return ScheduleOut.model_validate(body.json()).to_model()

    def update_schedule(self, schedule_id: str, request: ScheduleRequest) -> Schedule:
        """Replace a schedule's settings (PUT); a refused change (RemoteError) changes
        nothing. `request.paused` says whether it is paused afterwards."""
        body = self._call(
            "PUT", f"/api/v1/schedules/{schedule_id}", json=schedule_request_json(request)
        )
        return ScheduleOut.model_validate(body.json()).to_model()

    def schedule(self, schedule_id: str) -> Schedule:
        return self.schedule_detail(schedule_id)[0]

    def schedule_invocations(self, schedule_id: str) -> builtins.list[Invocation]:
        """Its latest invocations (up to 20), newest first."""
        return self.schedule_detail(schedule_id)[1]

    def schedule_detail(self, schedule_id: str) -> tuple[Schedule, builtins.list[Invocation]]:
        """The schedule and its latest invocations, in one request."""
        body = self._call("GET", f"/api/v1/schedules/{schedule_id}").json()
        detail = ScheduleDetail.model_validate(body)
        return detail.to_model(), [i.to_model() for i in detail.recent]

    def schedules(
        self,
        *,
        family: str | None = None,
        job_name: str | None = None,
        paused: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[Schedule]:
        """Schedules, soonest next fire first."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if family is not None:
            params["family"] = family
        if job_name is not None:
            params["job_name"] = job_name
        if paused is not None:
            params["paused"] = "true" if paused else "false"
        body = self._call("GET", "/api/v1/schedules", params=params).json()
        return [ScheduleOut.model_validate(s).to_model() for s in body["schedules"]]

    def pause_schedule(self, schedule_id: str) -> Schedule:
        return self._schedule_action(schedule_id, "pause")

    def resume_schedule(self, schedule_id: str) -> Schedule:
        """It fires again from its next fire time after now."""
        return self._schedule_action(schedule_id, "resume")

    def delete_schedule(self, schedule_id: str) -> None:
        """It fires no more; its invocations stay."""
        self._call("DELETE", f"/api/v1/schedules/{schedule_id}")

    def trigger_schedule(self, schedule_id: str) -> str:
        """Queue one invocation of the schedule now; returns its id."""
        resp = self._call("POST", f"/api/v1/schedules/{schedule_id}/trigger")
        return str(resp.json()["id"])

    def preview_cron(
        self,
        expression: str,
        timezone: str = "UTC",
        count: int = 10,
        after: datetime | None = None,
    ) -> builtins.list[datetime]:
        """The next `count` fires of an expression in a zone, after `after` (default now);
        RemoteError 422 with the server's explanation for a bad expression or zone."""
        return self.describe_cron(expression, timezone, count, after).fires

    def describe_cron(
        self,
        expression: str,
        timezone: str = "UTC",
        count: int = 10,
        after: datetime | None = None,
    ) -> CronPreview:
        """As preview_cron, with the expression's dialect and English description."""
        params: dict[str, Any] = {"expression": expression, "timezone": timezone, "count": count}
        if after is not None:
            params["after"] = after.isoformat()
        body = self._call("GET", "/api/v1/cron/preview", params=params).json()
        return CronPreview.model_validate(body)

    # -- grading --------------------------------------------------------------------------

    def assignments(self) -> builtins.list[dict[str, Any]]:
        """The assignments the server grades: id, title, total, pass mark and parts."""
        return list(self._call("GET", "/api/v1/assignments").json()["assignments"])

    def submit(
        self,
        assignment: str,
        learner: str,
        files: Mapping[str, str | Path | tuple[str, bytes]],
        *,
        callback_url: str | None = None,
    ) -> Submission:
        """Submit one file per part: a path, or (file name, bytes). Returns the QUEUED
        submission at once; `wait_submission` (or the callback) gives the result."""
        uploads = []
        for part, given in files.items():
            if isinstance(given, tuple):
                uploads.append((part, given))
            else:
                uploads.append((part, (Path(given).name, Path(given).read_bytes())))
        data = {"learner": learner}
        if callback_url is not None:
            data["callback_url"] = callback_url
        path = f"/api/v1/assignments/{assignment}/submissions"
        body = self._call("POST", path, data=data, files=uploads).json()
        return SubmissionOut.model_validate(body).to_model()

    def submission(self, submission_id: str) -> Submission:
        body = self._call("GET", f"/api/v1/submissions/{submission_id}").json()
        return SubmissionOut.model_validate(body).to_model()

    def wait_submission(self, submission_id: str, timeout: float | None = None) -> Submission:
        """Poll until the submission is GRADED or ERROR; WaitTimeout after `timeout` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = FIRST_DELAY
        while not (sub := self.submission(submission_id)).state.final:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WaitTimeout(submission_id, timeout or 0.0, sub.state.value, "submission")
                delay = min(delay, left)
            time.sleep(delay)
            delay = min(delay * 1.5, MAX_DELAY)
        return sub

    def export_submission(self, submission_id: str, format: str = "coursera") -> dict[str, Any]:
        """The result as Coursera feedback per part, or a Gradescope results.json."""
        path = f"/api/v1/submissions/{submission_id}/export"
        return dict(self._call("GET", path, params={"format": format}).json())

    def history(self, assignment: str, learner: str) -> History:
        """The learner's submissions (newest first), best and latest score, pass or not."""
        path = f"/api/v1/assignments/{assignment}/learners/{quote(learner, safe='')}"
        return HistoryOut.model_validate(self._call("GET", path).json()).to_model()

    # -- plumbing -------------------------------------------------------------------------

    def _schedule_action(self, schedule_id: str, action: str) -> Schedule:
        body = self._call("POST", f"/api/v1/schedules/{schedule_id}/{action}").json()
        return ScheduleOut.model_validate(body).to_model()

    def _detail(self, invocation_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self._call("GET", f"/api/v1/invocations/{invocation_id}").json()
        return body

    def _log_chunk(self, invocation_id: str, offset: int) -> tuple[bytes, int, State]:
        resp = self._call(
            "GET", f"/api/v1/invocations/{invocation_id}/logs", params={"offset": offset}
        )
        return (
            resp.content,
            int(resp.headers["X-Next-Offset"]),
            State(resp.headers["X-Invocation-State"]),
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            resp = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise Unreachable(self.url, str(exc) or type(exc).__name__) from exc
        if resp.status_code >= 400:
            raise RemoteError(resp.status_code, _message(resp), _error_type(resp))
        return resp


def _error_type(resp: httpx.Response) -> str | None:
    try:
        return str(resp.json()["error"]["type"])
    except (ValueError, KeyError, TypeError):
        return None


def _message(resp: httpx.Response) -> str:
    """The server's own message when it sent one, else what HTTP says."""
    try:
        return str(resp.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        text = resp.text.strip()
        return text[:300] if text else resp.reason_phrase


__all__ = ["Client"]
