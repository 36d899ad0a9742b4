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
    """Refuse a browser's cross-site request that would change something (a page elsewhere
    could otherwise POST a `text/plain` form, which parses as JSON, to an API with no token).

    Browsers say where a request comes from in `Sec-Fetch-Site`: `cross-site` and `same-site`
    are refused, `same-origin` and `none` (typed, bookmarked) allowed. Without it (an older
    browser) the `Origin` is compared with the host asked for, or the one a proxy forwarded
    (`X-Forwarded-Host`); an Origin that does not parse is refused. API clients (httpx, curl)
    send neither header and are let through."""

    SAFE = ("GET", "HEAD", "OPTIONS")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in self.SAFE:
            headers = {k.lower(): v.decode("latin-1") for k, v in scope["headers"]}
            if not _same_origin(headers):
                response = JSONResponse(
                    {"error": {"type": "Forbidden", "message": "cross-site request refused"}},
                    status_code=403,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _same_origin(headers: dict[bytes, str]) -> bool:
    site = headers.get(b"sec-fetch-site")
    if site is not None:
        return site.strip().lower() in ("same-origin", "none")
    origin = headers.get(b"origin")
    if origin is None:
        return True
    try:
        given = urlsplit(origin.strip()).netloc.lower()
    except ValueError:
        return False
    hosts = {headers.get(b"host", ""), *headers.get(b"x-forwarded-host", "").split(",")}
    return bool(given) and given in {h.strip().lower() for h in hosts if h.strip()}
