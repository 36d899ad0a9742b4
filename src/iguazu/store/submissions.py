"""Submissions of programming assignments, their files, and the grading invocation each one
is written with (in the same transaction: a submission is never saved without its grading,
nor the grading without its submission)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..errors import NotFound
from ..models import TERMINAL, Invocation, Submission, SubmissionState, SubmittedPart
from . import tables as t
from .database import Database
from .rows import insert_invocations

FIELDS = list(t.submissions.c)


@dataclass(frozen=True)
class Learner:
    """Who submitted to an assignment: how often, and when last."""

    learner: str
    submissions: int
    last_at: datetime


def _submission(row: Any) -> Submission:
    m = dict(row._mapping)
    m["state"] = SubmissionState(m["state"])
    m["parts"] = tuple(SubmittedPart(**p) for p in m["parts"])
    if m["passed"] is not None:
        m["passed"] = bool(m["passed"])
    return Submission(**m)


class SubmissionQueries(Database):
    def create_submission(
        self, sub: Submission, files: Mapping[str, bytes], grading: Invocation, message: str
    ) -> None:
        """Save the submission, its files and its QUEUED grading invocation, together."""
        values = {c.name: getattr(sub, c.name) for c in FIELDS}
        values["state"] = sub.state.value
        values["parts"] = [vars(p) for p in sub.parts]
        with self._write(notify=True) as conn:
            conn.execute(t.submissions.insert(), values)
            conn.execute(
                t.submission_files.insert(),
                [{"submission_id": sub.id, "part": p, "content": c} for p, c in files.items()],
            )
            insert_invocations(conn, [(grading, message)])

    def submission(self, sub_id: str) -> Submission:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*FIELDS).where(t.submissions.c.id == sub_id)).first()
        if row is None:
            raise NotFound(sub_id, "submission")
        return _submission(row)

    def submission_files(self, sub_id: str) -> dict[str, bytes]:
        f = t.submission_files.c
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(f.part, f.content).where(f.submission_id == sub_id))
            return {r.part: bytes(r.content) for r in rows}

    def submissions(
        self,
        *,
        assignment: str | None = None,
        learner: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[Submission]:
        """Newest first."""
        c = t.submissions.c
        query = sa.select(*FIELDS)
        if assignment is not None:
            query = query.where(c.assignment == assignment)
        if learner is not None:
            query = query.where(c.learner == learner)
        query = query.order_by(c.created_at.desc(), c.id.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [_submission(r) for r in conn.execute(query)]

    def submission_counts(self) -> dict[str, int]:
        """Submissions per assignment."""
        c = t.submissions.c
        query = sa.select(c.assignment, sa.func.count()).group_by(c.assignment)
        with self.engine.connect() as conn:
            return {str(row[0]): int(row[1]) for row in conn.execute(query)}

    def learners(self, assignment: str, limit: int) -> tuple[builtins.list[Learner], int]:
        """The learners who submitted to `assignment`, most recently active first (at most
        `limit`), and how many there are in all."""
        c = t.submissions.c
        last = sa.func.max(c.created_at).label("last_at")
        query = (
            sa.select(c.learner, sa.func.count().label("n"), last)
            .where(c.assignment == assignment)
            .group_by(c.learner)
            .order_by(last.desc(), c.learner)
            .limit(limit)
        )
        everyone = sa.select(sa.func.count(sa.distinct(c.learner))).where(
            c.assignment == assignment
        )
        with self.engine.connect() as conn:
            found = [Learner(r.learner, int(r.n), r.last_at) for r in conn.execute(query)]
            total = int(conn.execute(everyone).scalar_one())
        return found, total

    def graded_scores(self, assignment: str, learner: str) -> tuple[float | None, float | None]:
        """(best, latest) score of the learner's GRADED submissions; None when there is none."""
        c = t.submissions.c
        mine = (
            c.assignment == assignment,
            c.learner == learner,
            c.state == SubmissionState.GRADED.value,
        )
        with self.engine.connect() as conn:
            best = conn.execute(sa.select(sa.func.max(c.score)).where(*mine)).scalar_one()
            latest = conn.execute(
                sa.select(c.score).where(*mine).order_by(c.created_at.desc(), c.id.desc()).limit(1)
            ).scalar()
        return best, latest

    def orphaned_submissions(self, limit: int = 100) -> builtins.list[tuple[str, str, str]]:
        """(submission id, invocation state, reason) of submissions still waiting whose
        grading invocation has ended: it ended without a result (killed, lost, cancelled)."""
        s, i = t.submissions.c, t.invocations.c
        waiting = [SubmissionState.QUEUED.value, SubmissionState.GRADING.value]
        query = (
            sa.select(s.id, i.state, i.reason)
            .join(t.invocations, i.id == s.invocation_id)
            .where(s.state.in_(waiting), i.state.in_([st.value for st in TERMINAL]))
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(r.id, r.state, r.reason or "no reason") for r in conn.execute(query)]

    def start_grading(self, sub_id: str) -> bool:
        """QUEUED -> GRADING; False when it was not QUEUED (graded or failed already)."""
        return self._move(sub_id, SubmissionState.QUEUED, state=SubmissionState.GRADING.value)

    def finish_grading(self, sub_id: str, now: datetime, **values: Any) -> bool:
        """GRADING -> GRADED (score, total, pass_mark, passed, result) or ERROR (error)."""
        values.setdefault("state", SubmissionState.GRADED.value)
        return self._move(sub_id, SubmissionState.GRADING, graded_at=now, **values)

    def fail_submission(self, sub_id: str, error: str, now: datetime) -> bool:
        """Not final yet -> ERROR, with why (its grading ended without a result)."""
        waiting = (SubmissionState.QUEUED, SubmissionState.GRADING)
        return self._move(
            sub_id, *waiting, state=SubmissionState.ERROR.value, error=error, graded_at=now
        )

    def note_callback(self, sub_id: str, status: str) -> None:
        with self._write() as conn:
            conn.execute(
                t.submissions.update()
                .where(t.submissions.c.id == sub_id)
                .values(callback_status=status)
            )

    def _move(self, sub_id: str, *leaving: SubmissionState, **values: Any) -> bool:
        """One conditional UPDATE: only a submission still in one of `leaving` moves."""
        c = t.submissions.c
        with self._write() as conn:
            return bool(
                conn.execute(
                    t.submissions.update()
                    .where(c.id == sub_id, c.state.in_([s.value for s in leaving]))
                    .values(**values)
                ).rowcount
            )
