"""Submissions: the grid's front door, what the API, the CLI and the web UI call.

    sub = submissions.submit("wall-and-clock", "ada", {"painter": Upload("main.cpp", code)})
    ... later: submissions.get(sub.id).state is SubmissionState.GRADED

A submission is checked completely (assignment, learner, parts, languages, sizes, callback)
before anything is written; then it, its files and the invocation of the grading job (queue
`grading`, on an agent declaring `sandbox`) are saved in one transaction. The result comes
from that job (grid/job.py); the submitter polls, or gives a callback URL for a signed POST.
"""

from __future__ import annotations

import builtins
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath

import httpx

from ..batch import Batch, new_invocation
from ..errors import InvalidRequest, NotFound, PayloadTooLarge
from ..models import History, Submission, SubmissionState, SubmittedPart, new_id, utcnow
from ..store import Store
from . import webhook
from .catalog import Assignments
from .grader import EPSILON
from .languages import source_suffixes

GRADING_JOB = ("grid", "grade")
MAX_SOURCE = 256 * 1024  # bytes of one uploaded file
MAX_LEARNER = 200  # characters of a learner's id
MAX_URL = 2000


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


class Submissions:
    def __init__(
        self,
        *,
        store: Store,
        batch: Batch,
        assignments: Assignments,
        webhook_secret: str | None = None,
        webhook_private_hosts: bool = False,
        max_source: int = MAX_SOURCE,
    ) -> None:
        self.store = store
        self.batch = batch
        self.assignments = assignments
        self.webhook_secret = webhook_secret
        self.webhook_private_hosts = webhook_private_hosts
        self.max_source = max_source

    def submit(
        self,
        assignment_id: str,
        learner: str,
        uploads: Mapping[str, Upload],
        *,
        callback_url: str | None = None,
    ) -> Submission:
        """Check, then save the submission with its grading invocation; QUEUED."""
        assignment = self.assignments.get(assignment_id)
        _check_learner(learner)
        if not uploads:
            known = ", ".join(p.id for p in assignment.parts)
            raise InvalidRequest(f"no file uploaded: give one per part to grade ({known})")
        suffixes = source_suffixes()
        parts: builtins.list[SubmittedPart] = []
        files: dict[str, bytes] = {}
        for part_id, upload in uploads.items():
            part = assignment.part(part_id)
            if len(upload.content) > self.max_source:
                raise PayloadTooLarge(self.max_source, f"the file for part {part_id!r}")
            name = PurePath(upload.filename.replace("\\", "/")).name
            if len(name) > 255 or any(unicodedata.category(ch).startswith("C") for ch in name):
                raise InvalidRequest(f"part {part_id!r}: the file name {name[:80]!r} is not valid")
            language = suffixes.get(PurePath(name).suffix)
            if language is None:
                known = ", ".join(sorted(suffixes))
                raise InvalidRequest(
                    f"part {part_id!r}: cannot tell the language of {name!r} from its suffix "
                    f"({known})"
                )
            if language not in part.languages:
                raise InvalidRequest(
                    f"part {part_id!r} takes {', '.join(part.languages)}, not {language} ({name})"
                )
            parts.append(SubmittedPart(part=part_id, filename=name, language=language,
                                       size=len(upload.content)))  # fmt: skip
            files[part_id] = upload.content
        if callback_url is not None:
            self._check_callback(callback_url)
        sub_id = new_id()
        spec, queue, parameters = self.batch.resolve(*GRADING_JOB, None, {"submission_id": sub_id})
        now = utcnow()
        sub = Submission(
            id=sub_id,
            assignment=assignment_id,
            learner=learner,
            parts=tuple(parts),
            state=SubmissionState.QUEUED,
            created_at=now,
            total=assignment.total,
            pass_mark=assignment.pass_mark,
            callback_url=callback_url,
        )
        grading = new_invocation(spec, queue, parameters, now)
        sub = sub.replace(invocation_id=grading.id)
        message = f"requested on queue {queue.name}: grade submission {sub.id}"
        self.store.create_submission(sub, files, grading, message)
        return sub

    def _check_callback(self, url: str) -> None:
        if not self.webhook_secret:
            raise InvalidRequest(
                "callback_url needs the server to sign its webhooks: set webhook_secret in its "
                "settings (or poll GET /api/v1/submissions/{id})"
            )
        bad = InvalidRequest(f"callback_url must be an http(s) URL with a host, not {url!r}")
        if len(url) > MAX_URL or any(unicodedata.category(ch).startswith("C") for ch in url):
            raise bad
        try:
            parsed = httpx.URL(url)  # as the webhook's client will read it (port included)
            parsed.port  # noqa: B018
        except (httpx.InvalidURL, ValueError, UnicodeError):
            raise bad from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise bad
        if not self.webhook_private_hosts and webhook.literal_private(parsed.host):
            raise InvalidRequest(
                f"callback_url may not point at {parsed.host}: not a public address "
                "(the server's webhook_private_hosts allows it)"
            )

    def get(self, sub_id: str) -> Submission:
        """The submission as it stands. One whose grading invocation ended without a result
        (killed, lost with its agent, cancelled) reads as ERROR, saying so; a worker's sweep
        (sweeper.py) writes that and sends its webhook, so a read never takes it from them."""
        return self._as_it_stands(self.store.submission(sub_id))

    def _as_it_stands(self, sub: Submission) -> Submission:
        if sub.state.final or sub.invocation_id is None:
            return sub
        try:
            inv = self.store.get(sub.invocation_id)
        except NotFound:
            return sub
        if not inv.state.terminal:
            return sub
        why = ended_without_result(inv.state, inv.reason)
        return sub.replace(state=SubmissionState.ERROR, error=why, graded_at=inv.ended_at)

    def files(self, sub_id: str) -> dict[str, bytes]:
        self.store.submission(sub_id)  # NotFound for an unknown id
        return self.store.submission_files(sub_id)

    def list(
        self,
        *,
        assignment: str | None = None,
        learner: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[Submission]:
        """Newest first, each as `get` would give it."""
        found = self.store.submissions(
            assignment=assignment, learner=learner, limit=limit, offset=offset
        )
        return [self._as_it_stands(s) for s in found]

    def history(self, assignment_id: str, learner: str, limit: int = 100) -> History:
        """The newest `limit` submissions; best and latest count them all."""
        assignment = self.assignments.get(assignment_id)
        subs = self.list(assignment=assignment_id, learner=learner, limit=limit)
        best, latest = self.store.graded_scores(assignment_id, learner)
        return History(
            assignment=assignment_id,
            learner=learner,
            submissions=subs,
            total=assignment.total,
            pass_mark=assignment.pass_mark,
            best=best,
            latest=latest,
            passed=best is not None and best >= assignment.pass_mark - EPSILON,
        )


def _check_learner(learner: str) -> None:
    if not learner or len(learner) > MAX_LEARNER or learner != learner.strip():
        raise InvalidRequest(
            f"learner must be 1 to {MAX_LEARNER} characters without surrounding blanks"
        )
    if any(unicodedata.category(ch).startswith("C") for ch in learner) or "/" in learner:
        raise InvalidRequest("learner may not hold control characters or '/'")
    if learner in (".", ".."):  # a URL path cannot name them (/learners/..)
        raise InvalidRequest(f"learner may not be {learner!r}")


def ended_without_result(state: str, reason: str | None) -> str:
    return f"grading ended {state} without a result: {reason or 'no reason'}"
