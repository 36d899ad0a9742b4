"""The /api/v1 routes of grading: assignments, submissions (multipart uploads), results,
exports and a learner's history. A thin shell over grid.Submissions, which checks everything
before it writes."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from ..errors import InvalidRequest, NotFound
from ..grid import exports
from ..grid.assignment import AssignmentError
from ..grid.grader import SubmissionResult
from ..grid.submissions import Submissions, Upload
from ..models import SubmissionState
from .grid_schemas import (
    AssignmentList,
    AssignmentOut,
    HistoryOut,
    SubmissionList,
    SubmissionOut,
)
from .routes import read_body
from .schemas import ErrorOut

MAX_PARTS = 16  # files in one submission
MAX_FIELDS = 8  # other form fields (learner, callback_url)


def _max_body(submissions: Submissions) -> int:
    return MAX_PARTS * (submissions.max_source + 4096) + 64 * 1024


async def _read_form(request: Request, limit: int) -> tuple[dict[str, str], dict[str, Upload]]:
    """The form's text fields and files, refusing a body over `limit` before it is all read."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind.lower() != b"multipart/form-data":
        raise InvalidRequest(
            "send multipart/form-data: a field 'learner' and one file per part "
            "(curl -F learner=ada -F painter=@main.cpp)"
        )
    if not options.get(b"boundary"):
        raise InvalidRequest("the multipart body is malformed: its Content-Type has no boundary")
    raw = await read_body(request, limit)

    # Starlette's parser takes a body cut before its closing boundary for a whole one,
    # dropping the part cut short: refuse it rather than grade half a submission.
    if not raw.rstrip().endswith(b"--" + options[b"boundary"] + b"--"):
        raise InvalidRequest("the multipart body is malformed: it ends before its last boundary")

    async def body() -> AsyncGenerator[bytes, None]:
        yield raw

    parser = MultiPartParser(
        request.headers, body(), max_files=MAX_PARTS, max_fields=MAX_FIELDS, max_part_size=4096
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise InvalidRequest(f"the multipart body is malformed: {exc.message}") from None
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for name, value in form.multi_items():
        if name in fields or name in files:
            raise InvalidRequest(f"the field {name!r} is given twice")
        if isinstance(value, UploadFile):
            files[name] = Upload(value.filename or "", await value.read())
            await value.close()
        else:
            fields[name] = value
    return fields, files


def grid_router(
    submissions: Submissions | None, auth: Callable[..., Any] | None = None
) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1",
        dependencies=[Depends(auth)] if auth else [],
        responses={"4XX": {"model": ErrorOut, "description": "the request was refused"}},
        tags=["grading"],
    )
    if submissions is None:
        for prefix in ("/assignments", "/submissions"):

            @router.api_route(prefix + "{rest:path}", methods=["GET", "POST"],
                              include_in_schema=False)  # fmt: skip
            def not_configured(rest: str) -> None:
                raise NotFound("configured on this server (set assignments_dir)", "grading")

        return router
    subs = submissions

    @router.get("/assignments", response_model=AssignmentList)
    def list_assignments() -> AssignmentList:
        """The assignments this server grades; those whose manifest is wrong, and why."""
        good, broken = [], {}
        for ident, found in subs.assignments.all():
            if isinstance(found, AssignmentError):
                broken[ident] = found.message
            else:
                good.append(AssignmentOut.from_model(ident, found))
        return AssignmentList(assignments=good, broken=broken)

    @router.get("/assignments/{assignment_id}", response_model=AssignmentOut)
    def get_assignment(assignment_id: str) -> AssignmentOut:
        """An assignment, its parts and its statements."""
        found = subs.assignments.get(assignment_id)
        return AssignmentOut.from_model(assignment_id, found, statements=True)

    @router.post(
        "/assignments/{assignment_id}/submissions",
        status_code=202,
        response_model=SubmissionOut,
        openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
            "schema": {"type": "object", "required": ["learner"], "properties": {
                "learner": {"type": "string"},
                "callback_url": {"type": "string", "description": "POSTed the result, signed"},
            }, "additionalProperties": {"type": "string", "format": "binary",
                                        "description": "one file per part, named by the part"}},
        }}}},
    )  # fmt: skip
    async def submit(assignment_id: str, request: Request, response: Response) -> SubmissionOut:
        """Submit one file per part (the field's name is the part's id, the file's suffix
        its language). Answers at once with the submission's id; grading follows."""
        fields, files = await _read_form(request, _max_body(subs))
        unknown = sorted(set(fields) - {"learner", "callback_url"})
        if unknown:
            raise InvalidRequest(
                f"unknown form field {unknown[0]!r}: parts are uploaded as files, "
                "other fields are learner and callback_url"
            )
        if "learner" not in fields:
            raise InvalidRequest("the form field 'learner' is missing")
        # The checks and the write block (files, the store): not on the event loop.
        sub = await run_in_threadpool(
            subs.submit,
            assignment_id,
            fields["learner"],
            files,
            callback_url=fields.get("callback_url"),
        )
        response.headers["Location"] = f"/api/v1/submissions/{sub.id}"
        return SubmissionOut.from_model(sub)

    @router.get("/submissions", response_model=SubmissionList)
    def list_submissions(
        assignment: str | None = None,
        learner: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> SubmissionList:
        """Submissions, newest first, without their results."""
        found = subs.list(assignment=assignment, learner=learner, limit=limit, offset=offset)
        return SubmissionList(
            submissions=[SubmissionOut.from_model(s, with_result=False) for s in found]
        )

    @router.get("/submissions/{submission_id}", response_model=SubmissionOut)
    def get_submission(submission_id: str) -> SubmissionOut:
        """The submission; once GRADED, its result: per part the score and verdict, per test
        the verdict, CPU time and memory, for visible tests the data and a diff."""
        return SubmissionOut.from_model(subs.get(submission_id))

    @router.get("/submissions/{submission_id}/export")
    def export_submission(
        submission_id: str, format: Literal["coursera", "gradescope"] = "coursera"
    ) -> dict[str, Any]:
        """The result as Coursera feedback (per part) or a Gradescope results.json."""
        sub = subs.get(submission_id)
        if sub.state is not SubmissionState.GRADED or sub.result is None:
            raise InvalidRequest(f"submission {submission_id} is {sub.state}, not GRADED")
        result = SubmissionResult.from_json(sub.result)
        if format == "gradescope":
            return exports.gradescope(result)
        return {p.part: exports.coursera(p) for p in result.parts}

    @router.get("/assignments/{assignment_id}/learners/{learner}", response_model=HistoryOut)
    def history(assignment_id: str, learner: str) -> HistoryOut:
        """A learner's submissions to the assignment, with the best and the latest score and
        whether the pass mark is met."""
        return HistoryOut.from_model(subs.history(assignment_id, learner))

    return router
