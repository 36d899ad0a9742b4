"""Grading, for admins only (it shows learners' work): the assignments and the latest
submissions, an assignment with its statement and a row per learner, a learner's history,
and a submission's result as staff see it, with the feedback the learner reads.

    /grading                                      assignments, broken manifests, latest work
    /grading/{assignment}                         parts, statement(s), learners
    /grading/{assignment}/learners/{learner}      the learner's submissions, newest first
    /grading/submissions/{id}                     the result (polls while it is graded)
    /grading/submissions/{id}/export?format=...   the Coursera or Gradescope JSON
    /grading/submissions/{id}/files/{part}        an uploaded file, as escaped text

A result never holds a hidden test's data (the grader leaves it out), so the page cannot
show it; visible tests that failed show their input, expected and actual output and a diff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from ..accounts import Session
from ..errors import InvalidRequest, NotFound
from ..grid import exports
from ..grid.assignment import Assignment, AssignmentError
from ..grid.grader import SubmissionResult
from ..models import Role, SubmissionState
from . import grading_view as view
from .auth import signed_in
from .render import page

if TYPE_CHECKING:
    from ..grid.submissions import Submissions
    from . import UI

LATEST = 30  # submissions on /grading
LEARNERS = 200  # rows on an assignment's page
HISTORY = 100  # submissions on a learner's page

HELPERS: dict[str, Any] = {
    "pts": view.points,
    "size": view.size,
    "verdict_class": view.verdict_class,
    "sub_class": view.submission_class,
    "checker_name": view.checker_name,
    "q": lambda text: quote(text, safe=""),  # a learner's id in a path
}


def router(ui: UI) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    admin = signed_in(ui.accounts, Role.ADMIN)

    def show(request: Request, template: str, session: Session, **context: Any) -> Response:
        return page(request, template, session, **HELPERS, **context)

    def off(request: Request, session: Session) -> Response:
        return show(request, "grading_off.html", session)

    def titles(subs: Submissions) -> dict[str, str]:
        return {i: a.title for i, a in subs.assignments.all() if isinstance(a, Assignment)}

    @r.get("/grading")
    def overview(request: Request, session: Session = Depends(admin)) -> Response:
        subs = ui.submissions
        if subs is None:
            return off(request, session)
        found = subs.assignments.all()
        return show(
            request, "grading.html", session,
            assignments=[(i, a) for i, a in found if isinstance(a, Assignment)],
            broken=[(i, a) for i, a in found if isinstance(a, AssignmentError)],
            counts=subs.store.submission_counts(), latest=subs.list(limit=LATEST),
            titles=titles(subs), root=subs.assignments.root,
        )  # fmt: skip

    # Before /grading/{assignment}: "submissions" is not an assignment's page.
    @r.get("/grading/submissions/{sub_id}")
    def submission(request: Request, sub_id: str, session: Session = Depends(admin)) -> Response:
        subs = ui.submissions
        if subs is None:
            return off(request, session)
        sub = subs.get(sub_id)
        assignment = _assignment(subs, sub.assignment)
        result, parts, unreadable = view.result_view(sub.result, assignment)
        context = {"sub": sub, "assignment": assignment, "result": result, "parts": parts,
                   "unreadable": unreadable}  # fmt: skip
        if request.headers.get("hx-request") == "true":  # the poll: the result part alone
            return show(request, "grading_result.html", session, **context)
        return show(request, "grading_submission.html", session, **context)

    @r.get("/grading/submissions/{sub_id}/export")
    def export(
        sub_id: str,
        format: Literal["coursera", "gradescope"] = "coursera",
        session: Session = Depends(admin),
    ) -> Response:
        if ui.submissions is None:
            raise NotFound("(grading is not configured)", "submission")
        sub = ui.submissions.get(sub_id)
        if sub.state is not SubmissionState.GRADED or sub.result is None:
            raise InvalidRequest(f"submission {sub_id} is {sub.state}, not GRADED")
        result = SubmissionResult.from_json(sub.result)
        if format == "gradescope":
            return JSONResponse(exports.gradescope(result))
        return JSONResponse({p.part: exports.coursera(p) for p in result.parts})

    @r.get("/grading/submissions/{sub_id}/files/{part}")
    def source(
        request: Request, sub_id: str, part: str, session: Session = Depends(admin)
    ) -> Response:
        subs = ui.submissions
        if subs is None:
            return off(request, session)
        sub = subs.get(sub_id)
        uploaded = next((p for p in sub.parts if p.part == part), None)
        content = subs.files(sub_id).get(part)
        if uploaded is None or content is None:
            raise NotFound(f"{part!r} in submission {sub_id}", "file")
        text, cut = view.source_text(content)
        return show(request, "grading_source.html", session, sub=sub, uploaded=uploaded,
                    text=text, cut=cut)  # fmt: skip

    @r.get("/grading/{assignment_id}")
    def assignment_page(
        request: Request, assignment_id: str, session: Session = Depends(admin)
    ) -> Response:
        subs = ui.submissions
        if subs is None:
            return off(request, session)
        try:
            assignment = subs.assignments.get(assignment_id)
        except AssignmentError as exc:  # broken: what is wrong, and what was submitted
            return show(request, "grading_assignment.html", session, ident=assignment_id,
                        assignment=None, problems=exc.problems, rows=[], everyone=0,
                        latest=subs.list(assignment=assignment_id, limit=LATEST))  # fmt: skip
        found, everyone = subs.store.learners(assignment_id, LEARNERS)
        rows = [(who, subs.history(assignment_id, who.learner, limit=1)) for who in found]
        statements = {
            lang: view.statement_blocks(path) for lang, path in assignment.statements.items()
        }
        return show(
            request, "grading_assignment.html", session, ident=assignment_id,
            assignment=assignment, problems=[], rows=rows, everyone=everyone,
            statements=statements, latest=[],
        )  # fmt: skip

    @r.get("/grading/{assignment_id}/learners/{learner}")
    def learner_page(
        request: Request, assignment_id: str, learner: str, session: Session = Depends(admin)
    ) -> Response:
        subs = ui.submissions
        if subs is None:
            return off(request, session)
        assignment = subs.assignments.get(assignment_id)  # a broken one: its problems
        history = subs.history(assignment_id, learner, limit=HISTORY)
        if not history.submissions:
            raise NotFound(f"{learner!r} in {assignment_id}", "submission by the learner")
        return show(request, "grading_learner.html", session, ident=assignment_id,
                    assignment=assignment, history=history, limit=HISTORY)  # fmt: skip

    return r


def _assignment(subs: Submissions, ident: str) -> Assignment | None:
    """The assignment, or None when it is gone or broken (a result still shows)."""
    try:
        return subs.assignments.get(ident)
    except (NotFound, AssignmentError):
        return None
