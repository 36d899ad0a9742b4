"""Submissions and histories as JSON: one shape for the API's answers and the webhooks' bodies
(the API's schemas document it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import Submission


def _time(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def submission_json(sub: Submission, *, with_result: bool = True) -> dict[str, Any]:
    """What a learner (or the service that submitted for them) may read of a submission:
    its result is already free of hidden tests' data (the grader never puts it there)."""
    data: dict[str, Any] = {
        "id": sub.id,
        "assignment": sub.assignment,
        "learner": sub.learner,
        "state": sub.state.value,
        "created_at": _time(sub.created_at),
        "graded_at": _time(sub.graded_at),
        "invocation_id": sub.invocation_id,
        "parts": [vars(p) for p in sub.parts],
        "score": sub.score,
        "total": sub.total,
        "pass_mark": sub.pass_mark,
        "passed": sub.passed,
        "error": sub.error,
        "callback_url": sub.callback_url,
        "callback_status": sub.callback_status,
    }
    if with_result:
        data["result"] = sub.result
    return data
