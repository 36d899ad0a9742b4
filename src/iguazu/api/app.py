"""The API application: `create_app(batch)` wires routes, errors, auth and metrics.

/api/v1/...   the batch, schedules and grading API (bearer token when the app has one)
/healthz      liveness, no auth
/metrics      Prometheus text format, no auth (scrapers rarely carry tokens)
/docs         OpenAPI UI; /openapi.json the schema
/ ...         the admin web UI (web/), when the app is given accounts
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST

from ..batch import Batch
from ..schedules import Schedules
from . import errors
from .auth import SameOrigin, require_token
from .grid_routes import grid_router
from .metrics import Metrics
from .routes import api_router
from .schedule_routes import schedule_router

if TYPE_CHECKING:
    from ..accounts import Accounts
    from ..grid.submissions import Submissions


def _version() -> str:
    try:
        return version("iguazu")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def create_app(
    batch: Batch,
    schedules: Schedules | None = None,
    submissions: Submissions | None = None,
    *,
    token: str | None = None,
    accounts: Accounts | None = None,
    secure_cookies: bool = False,
) -> FastAPI:
    """An app serving `batch`. With a token (an empty one counts as none), every /api/v1
    route needs `Authorization: Bearer <token>`. With `accounts`, the web UI is served too."""
    app = FastAPI(
        title="Iguazú",
        version=_version(),
        summary="Batch platform: jobs that reserve CPU and RAM and run at most once.",
    )
    schedules = schedules or Schedules(store=batch.store, batch=batch)
    app.state.batch = batch  # for modules that add routes to this app later (web UI)
    app.state.schedules = schedules
    app.state.submissions = submissions
    metrics = Metrics(batch.store)
    errors.install(app)
    app.add_middleware(SameOrigin)
    auth = require_token(token) if token else None
    app.include_router(api_router(batch, metrics, auth))
    app.include_router(schedule_router(schedules, auth))
    app.include_router(grid_router(submissions, auth))

    if accounts is not None:
        from ..web import install

        install(app, accounts=accounts, batch=batch, schedules=schedules, submissions=submissions,
                secure_cookies=secure_cookies)  # fmt: skip

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return app
