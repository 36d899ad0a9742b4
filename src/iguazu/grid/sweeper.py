"""Submissions whose grading ended without a result: the grading job was killed, timed out,
lost with its agent or cancelled, so it never wrote one. Each worker sweeps them every few
seconds: the submission becomes ERROR with the reason, and its webhook is sent, so that a
submitter waiting only for the callback is not left waiting. (Reading a submission through
the API reconciles it too; whichever comes first writes it, once.)"""

from __future__ import annotations

import json
import logging
import threading

from ..models import utcnow
from ..store import Store
from . import webhook
from .submissions import ended_without_result
from .view import submission_json

logger = logging.getLogger(__name__)

EVERY = 5.0  # seconds between sweeps


def sweep(store: Store, webhook_secret: str | None, private_hosts: bool = False) -> int:
    """End what is orphaned now; how many submissions this call ended."""
    ended = 0
    for sub_id, state, reason in store.orphaned_submissions():
        if not store.fail_submission(sub_id, ended_without_result(state, reason), utcnow()):
            continue  # another worker (or a reader) got there first: its webhook, not ours
        ended += 1
        sub = store.submission(sub_id)
        logger.warning("submission %s: %s", sub_id, sub.error)
        if sub.callback_url and webhook_secret:
            body = json.dumps(submission_json(sub), ensure_ascii=False).encode()
            status = webhook.deliver(
                sub.callback_url, body, webhook_secret, private_hosts=private_hosts
            )
            store.note_callback(sub_id, status)
    return ended


def run(
    store: Store, webhook_secret: str | None, private_hosts: bool, stop: threading.Event
) -> None:
    while not stop.wait(EVERY):
        try:
            sweep(store, webhook_secret, private_hosts)
        except Exception:  # a database restart, say: log it, keep sweeping
            logger.exception("sweeping orphaned submissions failed")
