"""Accounts of the web UI: who may sign in, with which role, and their sessions.

    accounts.add("frankchen@coursera.org", "Frank Chen", Role.DEVELOPER, password="...")
    session = accounts.sign_in("frankchen@coursera.org", "...")   # or sign_in_token(token)
    accounts.session(cookie)  # -> Session, or None once expired or signed out

A person signs in with email and password, or with a personal token (`iguazu user token`);
the server's `api_token` signs in as the built-in administrator "Operator". Passwords are kept
as scrypt hashes, tokens and session cookies as SHA-256: the store holds no usable secret.
Sessions expire `session_lifetime` after sign-in; each carries its own CSRF token.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import InvalidRequest, NotFound, TooManyAttempts
from .models import Role, User, new_id, utcnow
from .store import Store

OPERATOR_EMAIL = "operator@iguazu.local"
FIRST_ADMIN_EMAIL = "admin@iguazu.local"
MIN_PASSWORD = 8
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")


@dataclass(frozen=True, kw_only=True)
class Session:
    cookie: str  # the secret the browser holds; the store keeps only its hash
    user: User
    csrf: str  # must come back with every form and htmx request that changes something
    expires_at: datetime


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=8, p=1)
    except ValueError:
        return False
    return kind == "scrypt" and hmac.compare_digest(got, base64.b64decode(digest))


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Accounts:
    def __init__(
        self,
        *,
        store: Store,
        session_lifetime: timedelta = timedelta(hours=12),
        operator_token: str | None = None,
    ) -> None:
        self.store = store
        self.session_lifetime = session_lifetime
        self.operator_token = operator_token or None
        self._failures = _Failures()

    def add(self, email: str, name: str, role: Role | str, password: str | None = None) -> User:
        email = email.strip().lower()
        if not _EMAIL.fullmatch(email):
            raise InvalidRequest(f"{email!r} is not an email address")
        if not name.strip() or len(name) > 200:
            raise InvalidRequest("a name of 1 to 200 characters is needed")
        try:
            role = Role(role)
        except ValueError:
            raise InvalidRequest(
                f"role must be one of {', '.join(r.value for r in Role)}, not {role!r}"
            ) from None
        hashed = None
        if password is not None:
            _check_new_password(password)
            hashed = hash_password(password)
        user = User(id=new_id(), email=email, name=name.strip(), role=role, created_at=utcnow())
        self.store.add_user(user, hashed)
        return user

    def set_password(self, email: str, password: str) -> None:
        """A new password; the account's sessions end."""
        _check_new_password(password)
        user = self.store.user(email=email.strip().lower())
        self.store.set_user(user.id, password_hash=hash_password(password))

    def issue_token(self, email: str) -> str:
        """A new personal token for the account (the previous one stops working)."""
        user = self.store.user(email=email.strip().lower())
        token = "igz_" + secrets.token_urlsafe(24)
        self.store.set_user(user.id, token_hash=_sha256(token))
        return token

    def ensure_first_admin(self) -> str | None:
        """With no account at all, make the first administrator and return its password
        (shown once, to whoever starts the server); None when accounts exist."""
        if self.store.users():
            return None
        password = secrets.token_urlsafe(12)
        self.add(FIRST_ADMIN_EMAIL, "Administrator", Role.ADMIN, password)
        return password

    # -- signing in -----------------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> Session | None:
        """The session, or None; every refusal costs one scrypt, as a wrong password does
        (the time taken does not tell which emails have accounts). After MAX_FAILURES
        failures for one email within FAILURE_WINDOW, TooManyAttempts until the oldest of
        them is out of the window (counted in this process)."""
        email = email.strip().lower()[:MAX_EMAIL]
        attempt = self._failures.start(email)
        found = self.store.password_hash(email)
        user, stored = found if found is not None else (None, None)
        if user is None or stored is None or user.disabled:
            check_password(password, _DUMMY)
            return None
        if not check_password(password, stored):
            return None
        self._failures.succeeded(attempt)
        return self._open(user)

    def sign_in_token(self, token: str) -> Session | None:
        token = token.strip()
        if self.operator_token and hmac.compare_digest(
            token.encode(), self.operator_token.encode()
        ):
            operator = self._operator()
            return None if operator.disabled else self._open(operator)
        user = self.store.user_by_token(_sha256(token)) if token else None
        if user is None or user.disabled:
            return None
        return self._open(user)

    def session(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        found = self.store.session(_sha256(cookie), utcnow())
        if found is None:
            return None
        user, csrf, expires_at = found
        return Session(cookie=cookie, user=user, csrf=csrf, expires_at=expires_at)

    def sign_out(self, cookie: str) -> None:
        self.store.drop_session(_sha256(cookie))

    def _open(self, user: User) -> Session:
        cookie, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), utcnow()
        expires = now + self.session_lifetime
        self.store.add_session(_sha256(cookie), user.id, csrf, now, expires)
        return Session(cookie=cookie, user=user, csrf=csrf, expires_at=expires)

    def _operator(self) -> User:
        try:
            return self.store.user(email=OPERATOR_EMAIL)
        except NotFound:  # made on its first sign-in
            self.add(OPERATOR_EMAIL, "Operator", Role.ADMIN)
            return self.store.user(email=OPERATOR_EMAIL)


_DUMMY = hash_password(secrets.token_urlsafe(16))  # checked when there is nothing to check
MAX_FAILURES = 10
MAX_EMAIL = 320  # characters: longer is no address (and is not remembered whole)
FAILURE_WINDOW = 900.0  # seconds


class _Failures:
    """Recent sign-in attempts by email that did not succeed (monotonic times), to slow down
    password guessing. An attempt is counted when it starts (so that guesses sent at once
    are held to the limit too) and forgotten when it succeeds. At most KEPT emails are
    remembered, the least recently tried forgotten first; emails are kept as hashes."""

    KEPT = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: collections.OrderedDict[bytes, collections.deque[float]] = (
            collections.OrderedDict()
        )

    def start(self, email: str) -> tuple[bytes, float]:
        """Count an attempt; TooManyAttempts when MAX_FAILURES are still in the window."""
        key, now = hashlib.sha256(email.encode()).digest(), time.monotonic()
        with self._lock:
            recent = self._seen.pop(key, None) or collections.deque()
            while recent and recent[0] <= now - FAILURE_WINDOW:
                recent.popleft()
            if len(recent) >= MAX_FAILURES:
                self._seen[key] = recent
                raise TooManyAttempts(recent[0] + FAILURE_WINDOW - now)
            recent.append(now)
            self._seen[key] = recent  # the most recently tried, last
            while len(self._seen) > self.KEPT:
                self._seen.popitem(last=False)
        return key, now

    def succeeded(self, attempt: tuple[bytes, float]) -> None:
        key, at = attempt
        with self._lock:
            recent = self._seen.get(key)
            if recent is not None and at in recent:
                recent.remove(at)


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest(f"a password needs at least {MIN_PASSWORD} characters")
