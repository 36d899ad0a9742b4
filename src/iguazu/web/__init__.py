"""The admin web UI: server-rendered pages (Jinja2 + htmx, no JS build step, no CDN), served
by the API's own app.

    /signin /signout        auth.py        (sessions, roles, CSRF)
    /                       home.py        running now, queues, failures and skips, capacity
    /jobs /invocations      jobs.py        run now from a form; filters, detail, live logs
    /schedules              schedules.py   the seed's Scheduled Jobs table, create and edit
    /grading                grading.py     assignments, submissions, results (admins only)
    /static/...             htmx and the style sheet

Each page module exposes `router(ui) -> APIRouter`; `UI` carries what they all need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from ..accounts import Accounts
from ..batch import Batch
from ..errors import SignInNeeded
from ..schedules import Schedules
from .auth import COOKIE, auth_router, signed_in, signin_redirect, signout_route
from .render import HERE, page

if TYPE_CHECKING:
    from ..grid.submissions import Submissions


@dataclass(frozen=True)
class UI:
    accounts: Accounts
    batch: Batch
    schedules: Schedules
    submissions: Submissions | None


def install(
    app: FastAPI,
    *,
    accounts: Accounts,
    batch: Batch,
    schedules: Schedules,
    submissions: Submissions | None = None,
    secure_cookies: bool = False,
) -> None:
    from . import grading, home, jobs
    from . import schedules as schedule_pages

    ui = UI(accounts=accounts, batch=batch, schedules=schedules, submissions=submissions)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    router = auth_router(accounts, secure_cookies=secure_cookies)
    signout_route(router, accounts)
    app.include_router(router)
    for module in (home, jobs, schedule_pages, grading):
        app.include_router(module.router(ui))

    def html_errors(request: Request, status: int, message: str, exc: Exception | None) -> Response:
        if isinstance(exc, SignInNeeded):
            return signin_redirect(request, exc)
        session = accounts.session(request.cookies.get(COOKIE))
        return page(request, "error.html", session, status=status, status_code=status,
                    message=message)  # fmt: skip

    app.state.html_errors = html_errors


__all__ = ["UI", "install", "signed_in"]
