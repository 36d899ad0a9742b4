"""The grading pages in Chromium, over real submissions graded by the real grading job in real
boxes (the `ui` fixture's agent declares `sandbox` as root): the assignments, an assignment's
learners, a learner's history and a result, with nothing of a hidden test's data on the page.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iguazu.grid.submissions import Upload
from iguazu.models import Role, Submission
from iguazu.settings import Settings
from iguazu.system import System

from ..conftest import _run_uvicorn
from .conftest import ACCOUNTS, PASSWORD, ROOT, UI, shot, sign_in

SUM = ROOT / "tests" / "grid" / "assignments" / "sum" / "submissions"
PAINTER = ROOT / "examples" / "assignments" / "wall-and-clock" / "painter" / "submissions"
GRADED = 90_000  # ms: a C++ compile and a dozen boxes on a busy machine

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="grading needs the sandbox (root)")


def submit(ui: UI, assignment: str, learner: str, part: str, path: Path) -> Submission:
    subs = ui.system.submissions
    assert subs is not None
    return subs.submit(assignment, learner, {part: Upload(path.name, path.read_bytes())})


def wait_graded(page: Any, ui: UI, sub: Submission) -> None:
    """Open the result and let the page poll (htmx) until the submission is graded."""
    from playwright.sync_api import expect

    page.goto(f"{ui.url}/grading/submissions/{sub.id}")
    expect(page.locator("[data-test=state]")).to_have_text("GRADED", timeout=GRADED)


def test_an_admin_follows_submissions_from_the_assignments_to_each_test(page: Any, ui: UI) -> None:
    from playwright.sync_api import expect

    broken = ui.assignments / "broken-one"
    broken.mkdir()
    (broken / "assignment.toml").write_text('title = "Half written"\npass_mark = 5\n')
    painter = submit(ui, "wall-and-clock", "ada", "painter", PAINTER / "ac.cpp")
    ce = submit(ui, "sum", "cy", "sum", SUM / "ce.cpp")
    ac = submit(ui, "sum", "ada", "sum", SUM / "ac.py")
    wa = submit(ui, "sum", "ada", "sum", SUM / "wa_overflow.c")
    pe = submit(ui, "sum", "bob #2", "sum", SUM / "pe.py")  # a path needs it quoted

    # The newest first, opened at once: queued or grading, then graded as the page polls.
    sign_in(page, ui, Role.ADMIN, f"/grading/submissions/{pe.id}")
    expect(page.locator("[data-test=state]")).to_have_text("GRADED", timeout=GRADED)
    assert page.locator("[data-test=score]").inner_text() == "0 / 100"
    assert "not met" in page.locator("[data-test=pass]").inner_text()
    part = page.locator("[data-test=part-sum]")
    assert part.locator("[data-test=part-verdict]").inner_text() == "PE"
    sample = part.locator("[data-test=test-sample]")
    assert sample.locator("[data-test=verdict]").inner_text() == "PE"
    assert "visible" in sample.inner_text()
    failing = part.locator("[data-test=failing-sample]")
    assert failing.locator("[data-test=input]").inner_text().strip() == "1 2"
    assert failing.locator("[data-test=expected]").inner_text().strip() == "3"
    diff = failing.locator("[data-test=diff]").inner_text()
    assert "-3" in diff and "+ 3" in diff
    assert "pe.py" in page.locator("[data-test=files]").inner_text()
    page.locator("[data-test=feedback] summary").click()
    feedback = page.locator("[data-test=feedback] pre").inner_text()
    assert feedback.startswith("sum: 0/100 (PE)") and "test sample: PE" in feedback
    shot(page, "grading-result")

    # The uploaded file, as text.
    page.click("[data-test=files] a:has-text('pe.py')")
    assert 'print("", a + b)' in page.locator("[data-test=source]").inner_text()

    # A wrong answer on hidden tests: their verdicts, never their data.
    wait_graded(page, ui, wa)
    assert page.locator("[data-test=score]").inner_text() == "60 / 100"
    tests = page.locator("[data-test=part-sum] [data-test=tests]")
    big = tests.locator("[data-test=test-big-1]")
    assert big.locator("[data-test=verdict]").inner_text() == "WA"
    assert "hidden" in big.inner_text()
    assert tests.locator("[data-test=test-sample] [data-test=verdict]").inner_text() == "AC"
    subtasks = page.locator("[data-test=subtasks]").inner_text()
    assert "big" in subtasks and "0 / 40" in subtasks and "60 / 60" in subtasks
    assert page.locator("[data-test^=failing-]").count() == 0  # the only visible test passed
    html = page.content()
    for name in ("big-1", "big-2"):
        given = (ui.assignments / "sum" / "tests" / f"{name}.in").read_text().split()
        expected = (ui.assignments / "sum" / "tests" / f"{name}.out").read_text().split()
        for token in given + expected:
            assert token not in html, f"hidden test {name}'s data {token} is on the page"

    # The exports, as other platforms read them.
    page.goto(f"{ui.url}/grading/submissions/{wa.id}")
    page.click("a:has-text('Gradescope results.json')")
    gradescope = json.loads(page.locator("body").inner_text())
    assert gradescope["score"] == 60
    assert {t["name"]: t["status"] for t in gradescope["tests"]}["sum/big-1"] == "failed"

    wait_graded(page, ui, painter)
    assert page.locator("[data-test=score]").inner_text() == "50 / 100"
    assert page.locator("[data-test=part-painter] [data-test=part-verdict]").inner_text() == "AC"
    assert page.locator("[data-test=part-clock]").count() == 0  # not submitted
    wait_graded(page, ui, ac)
    wait_graded(page, ui, ce)  # the compiler's words, and no test run
    assert page.locator("[data-test=part-sum] [data-test=part-verdict]").inner_text() == "CE"
    assert "error" in page.locator("[data-test=compile-output]").inner_text()
    assert page.locator("[data-test=tests]").count() == 0

    # The assignments, the broken manifest and the latest submissions.
    page.click("nav a:has-text('Grading')")
    page.wait_for_url(f"{ui.url}/grading")
    assignments = page.locator("[data-test=assignments]")
    row = assignments.locator("tr", has_text="A plus B")
    assert "Sum of two integers" in row.inner_text() and "c, cpp, python, java" in row.inner_text()
    assert row.locator("td").nth(2).inner_text() == "60 / 100"
    assert row.locator("td").nth(3).inner_text() == "4"
    assert "Painter and clocks" in assignments.inner_text()
    problems = page.locator("[data-test=broken]").inner_text()
    assert "broken-one" in problems and "parts: at least one part is needed" in problems
    latest = page.locator("[data-test=latest] tr")
    assert "bob #2" in latest.nth(1).inner_text() and "GRADED" in latest.nth(1).inner_text()
    assert "0 / 100" in latest.nth(1).inner_text()
    shot(page, "grading")

    # An assignment: its parts, its learners, its statement.
    assignments.locator("a:has-text('A plus B')").click()
    page.wait_for_url(f"{ui.url}/grading/sum")
    assert "60 of 100 points" in page.locator("[data-test=parts]").inner_text()
    ada = page.locator("[data-test=learners] tr", has_text="ada").locator("td")
    assert [ada.nth(i).inner_text() for i in (1, 2, 3, 4)] == ["100", "60", "met", "2"]
    bob = page.locator("[data-test=learners] tr", has_text="bob").locator("td")
    assert [bob.nth(i).inner_text() for i in (1, 2, 3)] == ["0", "0", "not met"]
    statement = page.locator("[data-test=statement]")
    assert statement.locator("h2", has_text="A plus B").count() == 1
    assert "Read two integers a and b" in statement.inner_text()
    shot(page, "grading-assignment")

    # A learner's history, newest first.
    page.click("[data-test=learners] a:has-text('ada')")
    page.wait_for_url(f"{ui.url}/grading/sum/learners/ada")
    rows = page.locator("[data-test=history] tr")
    assert rows.count() == 3
    assert "60 / 100" in rows.nth(1).inner_text() and "wa_overflow.c" in rows.nth(1).inner_text()
    assert "100 / 100" in rows.nth(2).inner_text() and "ac.py" in rows.nth(2).inner_text()
    assert "met" in page.locator("[data-test=summary]").inner_text()
    shot(page, "grading-learner")
    rows.nth(1).locator("a:has-text('Result')").click()
    page.wait_for_url(f"{ui.url}/grading/submissions/{wa.id}")
    page.click("[data-test=summary] a:has-text('A plus B')")
    page.click("[data-test=learners] a:has-text('bob #2')")
    page.wait_for_url(f"{ui.url}/grading/sum/learners/bob%20%232")
    assert page.locator("h1").inner_text() == "bob #2"
    assert "pe.py" in page.locator("[data-test=history]").inner_text()


def test_only_admins_see_grading(page: Any, ui: UI) -> None:
    for role in (Role.DEVELOPER, Role.VIEWER):
        sign_in(page, ui, role)
        assert page.locator("nav a:text-is('Jobs')").count() == 1
        assert page.locator("nav a:has-text('Grading')").count() == 0
        for path in ("/grading", "/grading/sum", "/grading/sum/learners/ada",
                     "/grading/submissions/nope"):  # fmt: skip
            response = page.goto(ui.url + path)
            assert response.status == 403, path
            assert "needs admin" in page.locator("[role=alert]").inner_text()
        page.click("button:has-text('Sign out')")
        page.wait_for_url(f"{ui.url}/signin")


@pytest.fixture
def ungraded(tmp_path: Path) -> Iterator[str]:
    """A server without assignments_dir: no grading."""
    system = System(Settings(data_dir=tmp_path / "var", job_modules=("iguazu.examples",)))
    email, name = ACCOUNTS[Role.ADMIN]
    system.accounts.add(email, name, Role.ADMIN, PASSWORD)
    url, stop = _run_uvicorn(system.app())
    try:
        yield url
    finally:
        stop()
        system.stop()


def test_without_assignments_the_grading_page_says_how_to_set_it_up(
    page: Any, ungraded: str, tmp_path: Path
) -> None:
    ui = UI(url=ungraded, system=None, assignments=tmp_path)  # type: ignore[arg-type]
    sign_in(page, ui, Role.ADMIN, "/grading")
    said = page.locator("[data-test=grading-off]").inner_text()
    assert "not configured" in said and "assignments_dir" in said
