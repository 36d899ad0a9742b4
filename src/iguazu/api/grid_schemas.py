"""HTTP shapes of assignments, submissions and histories (grid/view.py makes the submission's,
which webhooks send too)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..grid.view import submission_json
from ..models import History, Submission, SubmissionState, SubmittedPart
from .schemas import Time

if TYPE_CHECKING:
    from ..grid.assignment import Assignment


class PartOut(BaseModel):
    id: str
    title: str
    points: float
    languages: list[str]
    time_limit_ms: int
    memory_limit_kb: int
    tests: int = Field(description="how many tests grade it (0: a grader script)")
    visible_tests: list[str]


class AssignmentOut(BaseModel):
    id: str
    title: str
    total: float
    pass_mark: float
    parts: list[PartOut]
    statements: dict[str, str] = Field(description="Markdown by language ('' when one)")

    @classmethod
    def from_model(cls, ident: str, a: Assignment, *, statements: bool = False) -> AssignmentOut:
        parts = [
            PartOut(
                id=p.id,
                title=p.title,
                points=p.points,
                languages=list(p.languages),
                time_limit_ms=p.time_limit_ms,
                memory_limit_kb=p.memory_limit_kb,
                tests=len(p.tests),
                visible_tests=[t.name for t in p.tests if t.visible],
            )  # fmt: skip
            for p in a.parts
        ]
        texts = {}
        if statements:
            texts = {lang: path.read_text(encoding="utf-8") for lang, path in a.statements.items()}
        return cls(id=ident, title=a.title, total=a.total, pass_mark=a.pass_mark, parts=parts,
                   statements=texts)  # fmt: skip


class AssignmentList(BaseModel):
    assignments: list[AssignmentOut]
    broken: dict[str, str] = Field(description="assignments whose manifest is wrong: why")


class SubmittedPartOut(BaseModel):
    part: str
    filename: str
    language: str
    size: int


class SubmissionOut(BaseModel):
    id: str
    assignment: str
    learner: str
    state: SubmissionState
    created_at: Time
    graded_at: Time | None
    invocation_id: str | None = Field(description="the grading job's invocation")
    parts: list[SubmittedPartOut]
    score: float | None
    total: float | None
    pass_mark: float | None
    passed: bool | None = Field(description="the score meets the pass mark")
    error: str | None = Field(description="state ERROR: why the platform could not grade it")
    callback_url: str | None
    callback_status: str | None = Field(description='"delivered", or "failed: why"')
    result: dict[str, Any] | None = Field(
        default=None, description="per part: score, verdict, compiler output, tests, feedback"
    )

    @classmethod
    def from_model(cls, sub: Submission, *, with_result: bool = True) -> SubmissionOut:
        return cls.model_validate(submission_json(sub, with_result=with_result))

    def to_model(self) -> Submission:
        data = self.model_dump()
        data["parts"] = tuple(SubmittedPart(**p) for p in data["parts"])
        return Submission(**data)


class SubmissionList(BaseModel):
    submissions: list[SubmissionOut]


class HistoryOut(BaseModel):
    assignment: str
    learner: str
    total: float
    pass_mark: float
    best: float | None = Field(description="the highest score graded")
    latest: float | None = Field(description="the score of the newest graded submission")
    passed: bool = Field(description="the best score meets the pass mark")
    submissions: list[SubmissionOut] = Field(description="newest first, without results")

    @classmethod
    def from_model(cls, h: History) -> HistoryOut:
        return cls(
            assignment=h.assignment, learner=h.learner, total=h.total, pass_mark=h.pass_mark,
            best=h.best, latest=h.latest, passed=h.passed,
            submissions=[SubmissionOut.from_model(s, with_result=False) for s in h.submissions],
        )  # fmt: skip

    def to_model(self) -> History:
        data = self.model_dump()
        data["submissions"] = [s.to_model() for s in self.submissions]
        return History(**data)
