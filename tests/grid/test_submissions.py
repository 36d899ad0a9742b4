"""Submissions graded for real: the API takes the upload, the grading job's invocation runs on
this machine's agent (which declares `sandbox` as root), the learner's code runs in real
boxes, and the result comes back by polling or by a signed webhook."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from iguazu.grid import sweeper, webhook
from iguazu.grid.job import Context, grade_submission
from iguazu.grid.submissions import Upload
from iguazu.models import State, SubmissionState
from iguazu.sandbox import Sandbox

from ..waiting import eventually
from .conftest import EXAMPLE, SECRET, Platform

SUM = Path(__file__).parent / "assignments" / "sum" / "submissions"
PAINTER = EXAMPLE / "painter" / "submissions"
CLOCK = EXAMPLE / "clock" / "submissions"
WAIT = 120  # seconds: a Java compile on a busy CI machine


def test_a_submission_answers_at_once_and_is_graded_by_the_grading_job(
    grid_platform: Platform,
) -> None:
    with grid_platform.client() as client:
        sub = client.submit("sum", "ada", {"sum": SUM / "ac.py"})
        assert sub.state in (SubmissionState.QUEUED, SubmissionState.GRADING)
        assert [(p.part, p.filename, p.language) for p in sub.parts] == [("sum", "ac.py", "python")]
        done = client.wait_submission(sub.id, timeout=WAIT)
        inv = client.get(sub.invocation_id or "")
        events = client.events(inv.id)
    assert done.state is SubmissionState.GRADED, done.error
    assert (done.score, done.total, done.pass_mark, done.passed) == (100, 100, 60, True)
    assert done.graded_at is not None and done.graded_at >= done.created_at
    [part] = done.result["parts"] if done.result else []
    assert (part["part"], part["language"], part["verdict"], part["score"]) == (
        "sum", "python", "AC", 100,
    )  # fmt: skip
    assert {t["verdict"] for t in part["tests"]} == {"AC"}
    assert all(t["cpu_time"] >= 0 and t["memory"] > 0 for t in part["tests"])
    # The grading job's invocation: queue grading, ahead of the rest, on a sandbox agent.
    assert (inv.family, inv.job_name, inv.queue, inv.priority) == ("grid", "grade", "grading", 20)
    assert inv.requires == ("sandbox",) and inv.parameters == {"submission_id": sub.id}
    assert inv.state is State.SUCCEEDED
    agents = {a.id: a for a in grid_platform.system.store.agents()}
    assert "sandbox" in agents[inv.agent_id or ""].capabilities
    assert f"grade submission {sub.id}" in events[0].message


def test_feedback_shows_a_visible_test_in_full_and_nothing_of_hidden_ones(
    grid_platform: Platform,
) -> None:
    with grid_platform.client() as client:
        pe = client.wait_submission(client.submit("sum", "ada", {"sum": SUM / "pe.py"}).id, WAIT)
        wa = client.submit("sum", "ada", {"sum": SUM / "wa_overflow.c"})
        wa = client.wait_submission(wa.id, WAIT)
    [part] = pe.result["parts"] if pe.result else []
    sample = next(t for t in part["tests"] if t["name"] == "sample")
    assert (part["verdict"], sample["verdict"], sample["visible"]) == ("PE", "PE", True)
    assert sample["input"] and sample["expected"] and sample["output"] is not None
    assert sample["diff"]
    [part] = wa.result["parts"] if wa.result else []
    assert (part["verdict"], part["score"]) == ("WA", 60)
    hidden = [t for t in part["tests"] if not t["visible"]]
    assert hidden and any(t["verdict"] == "WA" for t in hidden)
    for t in hidden:
        assert (t["input"], t["expected"], t["output"], t["diff"]) == (None, None, None, None)
    big = (grid_platform.assignments / "sum" / "tests" / "big-1.in").read_text().split()
    assert not any(token in json.dumps(wa.result) for token in big if len(token) > 6)


def test_resubmissions_make_a_history_with_best_latest_and_the_pass_mark(
    grid_platform: Platform,
) -> None:
    with grid_platform.client() as client:
        for name in ("wa_overflow.c", "ac.cpp", "re.c"):  # 60, 100, 0
            sub = client.submit("sum", "ada", {"sum": SUM / name})
            client.wait_submission(sub.id, WAIT)
        client.wait_submission(client.submit("sum", "bob", {"sum": SUM / "ce.cpp"}).id, WAIT)
        ada = client.history("sum", "ada")
        bob = client.history("sum", "bob")
        nobody = client.history("sum", "carol")
    assert [s.score for s in ada.submissions] == [0, 100, 60]  # newest first
    assert [s.parts[0].filename for s in ada.submissions] == ["re.c", "ac.cpp", "wa_overflow.c"]
    assert (ada.best, ada.latest, ada.passed, ada.pass_mark, ada.total) == (100, 0, True, 60, 100)
    assert (bob.best, bob.latest, bob.passed) == (0, 0, False)
    assert bob.submissions[0].result is None  # histories list; the result is one GET away
    assert (nobody.submissions, nobody.best, nobody.passed) == ([], None, False)


def test_two_parts_in_one_upload_and_the_exports(grid_platform: Platform) -> None:
    with grid_platform.client() as client:
        files = {"painter": PAINTER / "ac.cpp", "clock": CLOCK / "ac.py"}
        sub = client.wait_submission(client.submit("wall-and-clock", "ada", files).id, WAIT)
        coursera = client.export_submission(sub.id, "coursera")
        gradescope = client.export_submission(sub.id, "gradescope")
    assert (sub.state, sub.score, sub.passed) == (SubmissionState.GRADED, 100, True)
    assert {p["part"]: p["verdict"] for p in sub.result["parts"]} == {  # type: ignore[index]
        "painter": "AC",
        "clock": "AC",
    }
    assert {k: v["fractionalScore"] for k, v in coursera.items()} == {"painter": 1.0, "clock": 1.0}
    assert gradescope["score"] == 100
    hidden = [t for t in gradescope["tests"] if t["visibility"] == "hidden"]
    assert hidden and all(t["status"] == "passed" for t in hidden)


def test_hostile_submissions_are_graded_and_leave_the_platform_working(
    grid_platform: Platform,
) -> None:
    with grid_platform.client() as client:
        bomb = client.submit(
            "wall-and-clock", "mallory", {"painter": PAINTER / "hostile_fork_bomb.c"}
        )
        net = client.submit("sum", "mallory", {"sum": SUM / "hostile_network.py"})
        bomb, net = (client.wait_submission(s.id, WAIT) for s in (bomb, net))
        after = client.wait_submission(client.submit("sum", "ada", {"sum": SUM / "ac.c"}).id, WAIT)
    assert (bomb.state, bomb.score, bomb.result["parts"][0]["verdict"]) == (  # type: ignore[index]
        SubmissionState.GRADED, 0, "TLE",
    )  # fmt: skip
    assert (net.state, net.score, net.result["parts"][0]["verdict"]) == (  # type: ignore[index]
        SubmissionState.GRADED, 0, "RE",
    )  # fmt: skip
    assert (after.state, after.score) == (SubmissionState.GRADED, 100)


class Receiver:
    """A webhook receiver on loopback that records each POST and answers 200."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.got = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((dict(self.headers), body))
                self.send_response(200)
                self.end_headers()
                receiver.got.set()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/graded"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def test_the_result_is_posted_signed_to_the_callback_url(
    grid_platform: Platform, receiver: Receiver
) -> None:
    with grid_platform.client() as client:
        sub = client.submit("sum", "ada", {"sum": SUM / "ac.py"}, callback_url=receiver.url)
        assert receiver.got.wait(WAIT)
        # The job notes the delivery once the receiver has answered: a moment after.
        done = eventually(
            lambda: (s := client.submission(sub.id)).callback_status and s, what="delivered"
        )
    [(headers, body)] = receiver.posts
    assert webhook.verify(SECRET, headers[webhook.HEADER], body)
    assert not webhook.verify("another secret", headers[webhook.HEADER], body)
    sent = json.loads(body)
    assert (sent["id"], sent["state"], sent["score"], sent["passed"]) == (
        sub.id,
        "GRADED",
        100,
        True,
    )
    assert sent["result"] == done.result
    assert done.callback_status == "delivered"


def test_a_submission_whose_assignment_went_away_is_an_error_not_a_zero(
    grid_api: Platform,
) -> None:
    """The grading function itself, run as the job would (no dispatcher here): it fails
    before any box is needed."""
    system = grid_api.system
    assert system.submissions is not None
    sub = system.submissions.submit("sum", "ada", {"sum": Upload("a.py", b"print(1)\n")})
    shutil.rmtree(grid_api.assignments / "sum")
    context = Context(store=system.store, assignments=system.submissions.assignments)
    grade_submission(context, sub.id)
    failed = system.submissions.get(sub.id)
    assert failed.state is SubmissionState.ERROR and failed.score is None
    assert "internal error while grading" in (failed.error or "") and "sum" in (failed.error or "")


def test_a_submission_is_graded_once_however_often_its_job_runs(
    grid_api: Platform, sandbox: Sandbox
) -> None:
    system = grid_api.system
    assert system.submissions is not None
    sub = system.submissions.submit(
        "sum", "ada", {"sum": Upload("a.py", (SUM / "ac.py").read_bytes())}
    )
    context = Context(store=system.store, assignments=system.submissions.assignments)
    grade_submission(context, sub.id, sandbox)
    first = system.submissions.get(sub.id)
    (grid_api.assignments / "sum" / "tests" / "sample.out").write_text("changed\n")
    grade_submission(context, sub.id, sandbox)  # a second run finds it GRADED: does nothing
    assert system.submissions.get(sub.id) == first
    assert first.state is SubmissionState.GRADED and first.score == 100


def test_a_grading_that_ended_without_a_result_is_swept_to_error_and_its_webhook_sent(
    grid_api: Platform, receiver: Receiver
) -> None:
    """No dispatcher here: the grading invocation is cancelled before it starts, so no job
    ever writes a result; the worker's sweep ends the submission and tells the callback."""
    system = grid_api.system
    assert system.submissions is not None
    code = (SUM / "ac.py").read_bytes()
    sub = system.submissions.submit(
        "sum", "ada", {"sum": Upload("a.py", code)}, callback_url=receiver.url
    )
    other = system.submissions.submit("sum", "bob", {"sum": Upload("a.py", code)})
    system.batch.cancel(sub.invocation_id or "")
    read = system.submissions.get(sub.id)  # a reader sees it ended, and takes nothing away
    assert read.state is SubmissionState.ERROR and "grading ended CANCELLED" in (read.error or "")
    assert [s.state for s in system.submissions.list(learner="ada")] == [SubmissionState.ERROR]
    assert sweeper.sweep(system.store, SECRET, private_hosts=True) == 1
    assert sweeper.sweep(system.store, SECRET, private_hosts=True) == 0  # once
    [(headers, body)] = receiver.posts
    assert webhook.verify(SECRET, headers[webhook.HEADER], body)
    sent = json.loads(body)
    assert (sent["id"], sent["state"], sent["score"]) == (sub.id, "ERROR", None)
    assert "grading ended CANCELLED" in sent["error"]
    swept = system.store.submission(sub.id)
    assert swept.state is SubmissionState.ERROR and swept.callback_status == "delivered"
    assert system.store.submission(other.id).state is SubmissionState.QUEUED  # still waits
