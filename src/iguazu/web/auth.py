"""Who is signed in, what their role allows, and the CSRF check; the sign-in and sign-out
pages.

Every page depends on `signed_in(accounts, role)`: no session (or an expired one) sends the
browser to /signin and back afterwards; a role below the page's answers 403. Every POST must
carry the session's CSRF token, as the form field `csrf` or the header `X-CSRF-Token` (the
layout sets it on every htmx request). The session cookie is HttpOnly and SameSite=Lax.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..accounts import Accounts, Session
from ..errors import Forbidden, SignInNeeded, TooManyAttempts
from ..models import Role
from .render import page

COOKIE = "iguazu_session"
SIGNIN_COOKIE = "iguazu_signin"  # the sign-in form's own CSRF token (double submit)


def signed_in(accounts: Accounts, role: Role = Role.VIEWER) -> Callable[..., Awaitable[Session]]:
    async def dependency(request: Request) -> Session:
        cookie = request.cookies.get(COOKIE)
        session = accounts.session(cookie)
        if session is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            if request.method not in ("GET", "HEAD"):  # a POST cannot be repeated by a GET
                here = "/"
            raise SignInNeeded(here, expired=bool(cookie))
        if not session.user.role.may(role):
            raise Forbidden(
                f"{session.user.email} is a {session.user.role.value}; this needs {role.value}"
            )
        if request.method not in ("GET", "HEAD"):
            given = request.headers.get("x-csrf-token")
            if given is None:
                given = str((await request.form()).get("csrf", ""))
            if not hmac.compare_digest(given.encode(), session.csrf.encode()):
                raise Forbidden("the form's CSRF token is missing or stale: reload the page")
        return session

    return dependency


def safe_next(path: str | None) -> str:
    """Only a path of this site: never another host (`//evil`, `https://...`)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def auth_router(accounts: Accounts, *, secure_cookies: bool = False) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def form(request: Request, next_path: str, error: str = "", status: int = 200) -> Response:
        # One token per browser, kept while it lasts: two tabs on the sign-in page (or a
        # page polling after its session ended) must not void each other's form.
        token = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(24)
        response = page(request, "signin.html", None, status=status, next=next_path,
                        error=error, signin_csrf=token)  # fmt: skip
        response.set_cookie(SIGNIN_COOKIE, token, httponly=True, samesite="strict",
                            secure=secure_cookies, max_age=3600)  # fmt: skip
        return response

    @router.get("/signin")
    def signin_page(request: Request, next: str = "/", expired: bool = False) -> Response:
        error = "Your session has expired: sign in again." if expired else ""
        return form(request, safe_next(next), error)

    @router.post("/signin")
    def signin(
        request: Request,
        csrf: Annotated[str, Form()] = "",
        email: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        expected = request.cookies.get(SIGNIN_COOKIE, "")
        if not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
            return form(request, safe_next(next), "The form had expired: try again.", 403)
        try:
            session = accounts.sign_in_token(token) if token else accounts.sign_in(email, password)
        except TooManyAttempts as exc:
            return form(request, safe_next(next), exc.message[:1].upper() + exc.message[1:], 429)
        if session is None:
            what = "That token is not valid." if token else "Wrong email or password."
            return form(request, safe_next(next), what, 401)
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(
            COOKIE, session.cookie, httponly=True, samesite="lax", secure=secure_cookies,
            max_age=int(accounts.session_lifetime.total_seconds()),
        )  # fmt: skip
        response.delete_cookie(SIGNIN_COOKIE)
        return response

    return router


def signout_route(router: APIRouter, accounts: Accounts) -> None:
    """POST /signout (a CSRF-checked form in the header of every page)."""

    @router.post("/signout")
    async def signout(request: Request) -> Response:
        session = await signed_in(accounts)(request)
        accounts.sign_out(session.cookie)
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(COOKIE)
        return response


def signin_redirect(request: Request, exc: SignInNeeded) -> Response:
    """To the sign-in page and back. An htmx request (a poll, a fragment) must not get the
    sign-in page swapped into its target: the whole page goes there instead."""
    next_path = exc.next_path
    if request.headers.get("hx-request"):
        current = urlsplit(request.headers.get("hx-current-url", ""))
        next_path = safe_next(current.path + (f"?{current.query}" if current.query else ""))
    target = f"/signin?next={quote(next_path, safe='')}"
    if "expired" in exc.message:
        target += "&expired=true"
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
