"""Every error leaves the API as JSON: {"error": {"type": ..., "message": ...}}.

An IguazuError answers with its own status and message. Anything unexpected is logged here
with its traceback and answers a bare 500, so no stack trace or internal detail reaches a
client.
"""

from __future__ import annotations

import http
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import IguazuError, InvalidRequest, MalformedJSON, Unauthorized

logger = logging.getLogger("iguazu.api")

INTERNAL = "internal error; see the server log"

# Where a validation error happened is not part of the field's name.
_LOCATIONS = ("body", "query", "path", "header", "cookie")


def error_response(
    status: int, type_: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"type": type_, "message": message}}, status_code=status, headers=headers
    )


def describe(errors: Sequence[Any]) -> str:
    """One line naming each field pydantic refused and why."""
    parts = []
    for err in errors:
        where = tuple(err.get("loc", ()))
        loc = [str(p) for p in where if p not in _LOCATIONS]
        if where[:1] == ("query",):  # "state", not "state.0", for a repeated query parameter
            loc = [p for p in loc if not p.isdigit()]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if not loc and err.get("type") == "missing":
            parts.append("the request body is missing; send a JSON object")
        elif not loc:
            parts.append(f"the request body is invalid: {msg}")
        else:
            parts.append(f"{'.'.join(loc)}: {msg}")
    return "; ".join(parts) or "invalid request"


def _html(
    request: Request, status: int, message: str, exc: Exception | None = None
) -> Response | None:
    """The web UI's own page for an error on one of its paths (app.state.html_errors)."""
    render = getattr(request.app.state, "html_errors", None)
    if render is None or request.url.path.startswith("/api/"):
        return None
    return render(request, status, message, exc)  # type: ignore[no-any-return]


def _from_iguazu(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IguazuError)
    if exc.status >= 500:  # a server-side problem, not the caller's: keep it in the log
        return _internal(request, exc)
    page = _html(request, exc.status, exc.message, exc)
    if page is not None:
        return page
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return error_response(exc.status, type(exc).__name__, exc.message, headers)


def _from_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    bad_json = [e for e in errors if e.get("type") == "json_invalid"]
    if bad_json:
        detail = bad_json[0].get("ctx", {}).get("error", "it does not parse")
        return _from_iguazu(request, MalformedJSON(str(detail)))
    return _from_iguazu(request, InvalidRequest(describe(errors)))


def _from_http(request: Request, exc: Exception) -> Response:
    """Starlette's own errors: no such route, method not allowed, ..."""
    assert isinstance(exc, HTTPException)
    try:
        phrase = http.HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = "HTTP Error"
    message = exc.detail if exc.detail and exc.detail != phrase else phrase.lower()
    if exc.status_code == 404:
        message = f"no such endpoint: {request.method} {request.url.path}"
    page = _html(request, exc.status_code, str(message))
    if page is not None:
        return page
    return error_response(
        exc.status_code,
        phrase.replace(" ", "").replace("-", ""),
        str(message),
        dict(exc.headers) if exc.headers else None,
    )


def _internal(request: Request, exc: Exception) -> Response:
    logger.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    try:
        page = _html(request, 500, INTERNAL)
    except Exception:  # the page itself failed (a template, the store): the bare answer
        logger.exception("rendering the error page failed")
        page = None
    return page or error_response(500, "InternalError", INTERNAL)


def install(app: FastAPI) -> None:
    app.add_exception_handler(IguazuError, _from_iguazu)
    app.add_exception_handler(RequestValidationError, _from_validation)
    app.add_exception_handler(HTTPException, _from_http)
    app.add_middleware(CatchAll)


class CatchAll:
    """Answer an unexpected exception with the bare 500 and log it once.

    Starlette's own last-resort handler would re-raise it to the server after answering,
    which logs the same traceback a second time; this middleware sits inside it and stops it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_note(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception as exc:
            if started:  # too late for a clean answer; the server closes the connection
                raise
            response = _internal(Request(scope), exc)
            await response(scope, receive, send)
