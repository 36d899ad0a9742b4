"""Accounts of the web UI and their sessions. Secrets are stored hashed: a password by scrypt
(accounts.py makes the hash), a personal token and a session's cookie by SHA-256."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..errors import Conflict, NotFound
from ..models import Role, User
from . import tables as t
from .database import Database

USER_FIELDS = [t.users.c[n] for n in ("id", "email", "name", "role", "created_at", "disabled")]


def _user(row: Any) -> User:
    m = {c.name: row._mapping[c.name] for c in USER_FIELDS}
    m["role"] = Role(m["role"])
    m["disabled"] = bool(m["disabled"])
    return User(**m)


class AccountQueries(Database):
    def add_user(self, user: User, password_hash: str | None) -> None:
        values = {c.name: getattr(user, c.name) for c in USER_FIELDS}
        values.update(role=user.role.value, password_hash=password_hash)
        try:
            with self._write() as conn:
                conn.execute(t.users.insert(), values)
        except sa.exc.IntegrityError:
            raise Conflict(f"an account with the email {user.email} exists already") from None

    def users(self) -> builtins.list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*USER_FIELDS).order_by(t.users.c.email))
            return [_user(r) for r in rows]

    def user(self, *, email: str | None = None, user_id: str | None = None) -> User:
        c = t.users.c
        where = c.email == email if email is not None else c.id == user_id
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*USER_FIELDS).where(where)).first()
        if row is None:
            raise NotFound(email or user_id or "", "account")
        return _user(row)

    def password_hash(self, email: str) -> tuple[User, str | None] | None:
        c = t.users.c
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*USER_FIELDS, c.password_hash).where(c.email == email))
            found = row.first()
        return (_user(found), found.password_hash) if found else None

    def user_by_token(self, token_hash: str) -> User | None:
        c = t.users.c
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*USER_FIELDS).where(c.token_hash == token_hash)).first()
        return _user(row) if row else None

    def set_user(self, user_id: str, **values: Any) -> None:
        """Change an account: role, name, password_hash, token_hash, disabled."""
        if isinstance(values.get("role"), Role):
            values["role"] = values["role"].value
        with self._write() as conn:
            done = conn.execute(t.users.update().where(t.users.c.id == user_id).values(**values))
            if not done.rowcount:
                raise NotFound(user_id, "account")
            if values.get("disabled") or "password_hash" in values or "token_hash" in values:
                conn.execute(t.web_sessions.delete().where(t.web_sessions.c.user_id == user_id))

    def add_session(
        self, id_hash: str, user_id: str, csrf: str, now: datetime, expires: datetime
    ) -> None:
        s = t.web_sessions.c
        with self._write() as conn:
            conn.execute(t.web_sessions.delete().where(s.expires_at <= now))  # old ones go
            conn.execute(
                t.web_sessions.insert(),
                {"id_hash": id_hash, "user_id": user_id, "csrf": csrf, "created_at": now,
                 "expires_at": expires},
            )  # fmt: skip

    def session(self, id_hash: str, now: datetime) -> tuple[User, str, datetime] | None:
        """The session's account, CSRF token and expiry, if it has not expired and the
        account is not disabled."""
        s = t.web_sessions.c
        query = (
            sa.select(*USER_FIELDS, s.csrf, s.expires_at)
            .join(t.web_sessions, s.user_id == t.users.c.id)
            .where(s.id_hash == id_hash, s.expires_at > now, t.users.c.disabled.is_(False))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return (_user(row), row.csrf, row.expires_at) if row else None

    def drop_session(self, id_hash: str) -> None:
        with self._write() as conn:
            conn.execute(t.web_sessions.delete().where(t.web_sessions.c.id_hash == id_hash))
