"""The grading job: one invocation grades one submission, on the `grading` queue, only on an
agent that declares the `sandbox` capability.

It is one of the platform's own jobs (`platform = True`): the agent hands it the store's URL,
the assignments' folder and the webhook secret in its environment (Settings.platform_env),
which no other job sees. It moves the submission QUEUED -> GRADING (a second run could not
take it again), grades it in a sandbox of its own, saves the result (GRADED) or why it could
not (ERROR: a grader crash is never the learner's fault), then POSTs the result, signed, to
the submission's callback URL if it has one.

The job reserves one core and enough memory for its own Python plus the one box it runs at a
time (a compile may take 1 GiB): the boxes' cgroups are their own, not nested in the job's.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pydantic

from ..errors import NotFound
from ..jobs import Job
from ..models import SubmissionState, utcnow
from ..sandbox import Sandbox
from ..store import Store
from . import webhook
from .assignment import GRADING_BUDGET
from .catalog import Assignments
from .grader import Source, grade
from .view import submission_json

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Context:
    store: Store
    assignments: Assignments
    webhook_secret: str | None = None
    webhook_private_hosts: bool = False

    @classmethod
    def from_env(cls) -> Context:
        """From the settings the agent hands a platform job (see Settings.platform_env)."""
        try:
            url, folder = os.environ["IGUAZU_DATABASE_URL"], os.environ["IGUAZU_ASSIGNMENTS_DIR"]
        except KeyError as exc:
            raise RuntimeError(
                f"the grading job needs {exc.args[0]} from its agent: is assignments_dir set in "
                "the worker's settings?"
            ) from None
        return cls(
            store=Store(url),
            assignments=Assignments(Path(folder)),
            webhook_secret=os.environ.get("IGUAZU_WEBHOOK_SECRET"),
            webhook_private_hosts=os.environ.get("IGUAZU_WEBHOOK_PRIVATE_HOSTS") == "1",
        )


class Grade(Job):
    """Grade one submission of a programming assignment in the sandbox."""

    family = "grid"
    name = "grade"
    queue = "grading"
    requires = ("sandbox",)
    platform = True
    reserved_cpu = 1024
    reserved_memory = 1536
    timeout = GRADING_BUDGET + 100.0  # manifests are held to the budget: this is the margin

    class Parameters(pydantic.BaseModel):
        submission_id: str

    def run(self, parameters: Parameters) -> None:
        context = Context.from_env()
        try:
            grade_submission(context, parameters.submission_id)
        finally:
            context.store.close()


def grade_submission(context: Context, sub_id: str, sandbox: Sandbox | None = None) -> None:
    """Grade the submission if it is still QUEUED (else do nothing: it was graded, or failed,
    already); then deliver its webhook."""
    store = context.store
    if not store.start_grading(sub_id):
        logger.warning("submission %s is not waiting to be graded: nothing to do", sub_id)
        return
    sub = store.submission(sub_id)
    try:
        assignment = context.assignments.get(sub.assignment)
        files = store.submission_files(sub_id)
        sources = {p.part: Source(p.language, files[p.part]) for p in sub.parts}
        if sandbox is None:
            with Sandbox() as own:
                result = grade(own, assignment, sources)
        else:
            result = grade(sandbox, assignment, sources)
    except Exception as exc:  # ours, never the learner's: the submission says so
        logger.exception("grading submission %s failed", sub_id)
        # The learner reads this: what kind of failure, not its details (SQL, paths), which
        # are in the grading invocation's log.
        store.finish_grading(
            sub_id,
            utcnow(),
            state=SubmissionState.ERROR.value,
            error=f"internal error while grading ({_kind(exc)}); the platform's log says more "
            f"(invocation {os.environ.get('IGUAZU_INVOCATION_ID', 'run here')})",
        )
    else:
        store.finish_grading(
            sub_id,
            utcnow(),
            score=result.score,
            total=result.total,
            pass_mark=result.pass_mark,
            passed=result.passed,
            result=result.to_json(),
        )
        logger.info("submission %s graded: %g/%g", sub_id, result.score, result.total)
    _callback(context, sub_id)


def _kind(exc: Exception) -> str:
    if isinstance(exc, NotFound):
        return f"{exc.kind} {exc.ident} not found"
    return type(exc).__name__


def _callback(context: Context, sub_id: str) -> None:
    sub = context.store.submission(sub_id)
    if sub.callback_url is None:
        return
    if not context.webhook_secret:
        context.store.note_callback(sub_id, "failed: the worker has no webhook_secret")
        return
    body = json.dumps(submission_json(sub), ensure_ascii=False).encode()
    status = webhook.deliver(
        sub.callback_url, body, context.webhook_secret,
        private_hosts=context.webhook_private_hosts,
    )  # fmt: skip
    logger.info("webhook for submission %s: %s", sub_id, status)
    context.store.note_callback(sub_id, status)
