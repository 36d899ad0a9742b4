"""Bearer-token check for the /api/v1 routes."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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
