"""Bearer-token check for the /api/v1 routes, and the same-origin check for every change."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import Unauthorized

# auto_error=False: a missing token is our Unauthorized (JSON, 401), not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="the token the server was started with")


def require_token(token: str) -> Callable[..., None]:
    expected = token.encode()

    def check(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if credentials is None or not credentials.credentials:
            raise Unauthorized(token_given=False)
        # Constant time, so the token cannot be guessed a byte at a time from response times.
        if not hmac.compare_digest(credentials.credentials.encode(), expected):
            raise Unauthorized(token_given=True)

    return check


class SameOrigin:
    """Refuse a browser's cross-site request that would change something in the API: a page
    elsewhere could otherwise POST a `text/plain` form to an API with no token (the body
    parses as JSON). Browsers send `Origin` on such requests; API clients (httpx, curl) send
    none, and are let through."""

    SAFE = (b"GET", b"HEAD", b"OPTIONS")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"].encode() not in self.SAFE:
            headers = dict(scope["headers"])
            origin = headers.get(b"origin")
            if origin is not None and urlsplit(origin.decode("latin-1")).netloc.encode(
                "latin-1"
            ) != headers.get(b"host"):
                response = JSONResponse(
                    {"error": {"type": "Forbidden", "message": "cross-site request refused"}},
                    status_code=403,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
