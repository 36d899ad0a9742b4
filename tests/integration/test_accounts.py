"""Accounts of the web UI over a real SQLite store: passwords, tokens, sessions, roles, and
`iguazu user` as an operator runs it."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from iguazu.accounts import FIRST_ADMIN_EMAIL, MAX_FAILURES, OPERATOR_EMAIL, Accounts
from iguazu.errors import Conflict, InvalidRequest, NotFound, TooManyAttempts
from iguazu.models import Role, utcnow
from iguazu.store import Store
from iguazu.store import tables as t

PASSWORD = "correct-horse-battery"


@pytest.fixture
def accounts(store: Store) -> Accounts:
    return Accounts(store=store, operator_token="operator-token-123")


def test_a_password_signs_in_and_the_store_keeps_no_usable_secret(
    accounts: Accounts, store: Store
) -> None:
    user = accounts.add("Ada@Example.org", "Ada Lovelace", "developer", PASSWORD)
    assert (user.email, user.role) == ("ada@example.org", Role.DEVELOPER)
    assert accounts.sign_in("ada@example.org", "wrong password") is None
    assert accounts.sign_in("nobody@example.org", PASSWORD) is None
    session = accounts.sign_in("  ADA@example.org ", PASSWORD)
    assert session is not None and session.user.id == user.id
    assert accounts.session(session.cookie) == session
    with store.engine.connect() as conn:
        dump = repr(conn.execute(sa.select(t.users)).all())
        dump += repr(conn.execute(sa.select(t.web_sessions)).all())
    for secret in (PASSWORD, session.cookie):
        assert secret not in dump


def test_sessions_end_when_they_expire_when_signed_out_and_when_the_password_changes(
    accounts: Accounts, store: Store
) -> None:
    accounts.add("ada@example.org", "Ada", Role.VIEWER, PASSWORD)
    first = accounts.sign_in("ada@example.org", PASSWORD)
    second = accounts.sign_in("ada@example.org", PASSWORD)
    assert first and second and first.csrf != second.csrf
    accounts.sign_out(first.cookie)
    assert accounts.session(first.cookie) is None and accounts.session(second.cookie)
    accounts.set_password("ada@example.org", "another-password")
    assert accounts.session(second.cookie) is None  # a new password ends every session
    assert accounts.sign_in("ada@example.org", PASSWORD) is None
    third = accounts.sign_in("ada@example.org", "another-password")
    assert third is not None
    with store.engine.begin() as conn:
        conn.execute(t.web_sessions.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    assert accounts.session(third.cookie) is None
    assert accounts.session("") is None and accounts.session("made-up") is None


def test_tokens_the_operator_and_disabled_accounts(accounts: Accounts, store: Store) -> None:
    accounts.add("bot@example.org", "Deploy bot", Role.DEVELOPER)  # no password: token only
    assert accounts.sign_in("bot@example.org", "") is None
    token = accounts.issue_token("bot@example.org")
    session = accounts.sign_in_token(token)
    assert session is not None and session.user.email == "bot@example.org"
    newer = accounts.issue_token("bot@example.org")
    assert accounts.sign_in_token(token) is None and accounts.sign_in_token(newer)
    assert accounts.sign_in_token("") is None and accounts.sign_in_token("igz_guess") is None

    operator = accounts.sign_in_token("operator-token-123")
    assert operator is not None
    assert (operator.user.email, operator.user.role) == (OPERATOR_EMAIL, Role.ADMIN)

    user = store.user(email="bot@example.org")
    store.set_user(user.id, disabled=True)
    assert accounts.session(session.cookie) is None and accounts.sign_in_token(newer) is None


def test_bad_accounts_are_refused_and_nothing_is_saved(accounts: Accounts, store: Store) -> None:
    accounts.add("ada@example.org", "Ada", Role.ADMIN, PASSWORD)
    bad = [
        ("not-an-email", "X", "viewer", PASSWORD, "not an email"),
        ("x@example.org", " ", "viewer", PASSWORD, "name"),
        ("x@example.org", "X", "root", PASSWORD, "role must be one of admin, developer"),
        ("x@example.org", "X", "viewer", "short", "at least 8"),
    ]
    for email, name, role, password, says in bad:
        with pytest.raises(InvalidRequest, match=says):
            accounts.add(email, name, role, password)
    with pytest.raises(Conflict, match="exists already"):
        accounts.add("ADA@example.org", "Ada again", Role.VIEWER, PASSWORD)
    with pytest.raises(NotFound):
        accounts.issue_token("nobody@example.org")
    assert [u.email for u in store.users()] == ["ada@example.org"]


def test_roles_allow_what_is_below_them() -> None:
    assert Role.ADMIN.may(Role.DEVELOPER) and Role.ADMIN.may(Role.VIEWER)
    assert Role.DEVELOPER.may(Role.VIEWER) and not Role.DEVELOPER.may(Role.ADMIN)
    assert not Role.VIEWER.may(Role.DEVELOPER)


def test_the_first_administrator_is_made_once(accounts: Accounts) -> None:
    password = accounts.ensure_first_admin()
    assert password and accounts.sign_in(FIRST_ADMIN_EMAIL, password)
    assert accounts.ensure_first_admin() is None


def test_iguazu_user_commands(tmp_path: Path) -> None:
    config = tmp_path / "iguazu.toml"
    config.write_text(f'data_dir = "{tmp_path}"\n')

    def iguazu(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "iguazu", "user", *args, "--config", str(config)],
            capture_output=True, text=True, timeout=120,
            env={"PATH": "/usr/bin:/bin", "IGUAZU_NEW_PASSWORD": PASSWORD},
        )  # fmt: skip

    added = iguazu("add", "ada@example.org", "--name", "Ada Lovelace", "--role", "developer")
    assert added.returncode == 0, added.stderr
    assert "added ada@example.org (Ada Lovelace), developer" in added.stdout
    again = iguazu("add", "ada@example.org", "--name", "Ada")
    assert again.returncode == 1 and "exists already" in again.stderr
    wrong = iguazu("add", "bob@example.org", "--name", "Bob", "--role", "root")
    assert wrong.returncode == 1 and "role must be one of" in wrong.stderr
    token = iguazu("token", "ada@example.org").stdout.strip()
    assert token.startswith("igz_")
    assert iguazu("role", "ada@example.org", "admin").returncode == 0
    listed = iguazu("ls").stdout
    assert "ada@example.org" in listed and "admin" in listed and "bob" not in listed
    store = Store(f"sqlite:///{tmp_path / 'iguazu.db'}")
    try:
        accounts = Accounts(store=store)
        session = accounts.sign_in_token(token)
        assert session is not None and session.user.role is Role.ADMIN
        assert accounts.sign_in("ada@example.org", PASSWORD) is not None
        assert iguazu("disable", "ada@example.org").returncode == 0
        assert accounts.session(session.cookie) is None
    finally:
        store.close()


def test_password_guessing_is_stopped_for_that_email_only(accounts: Accounts) -> None:
    accounts.add("ada@example.org", "Ada", Role.VIEWER, PASSWORD)
    accounts.add("bob@example.org", "Bob", Role.VIEWER, PASSWORD)
    for guess in range(MAX_FAILURES):
        assert accounts.sign_in("ada@example.org", f"guess-{guess}") is None
    with pytest.raises(TooManyAttempts, match="too many failed sign-ins: try again in 15 min"):
        accounts.sign_in("ADA@example.org", PASSWORD)  # even the right one, for a while
    assert accounts.sign_in("bob@example.org", PASSWORD) is not None
    for guess in range(MAX_FAILURES):  # made-up emails are counted the same way
        assert accounts.sign_in("nobody@example.org", f"guess-{guess}") is None
    with pytest.raises(TooManyAttempts):
        accounts.sign_in("nobody@example.org", "x")


def test_guesses_sent_at_once_are_held_to_the_limit_too(accounts: Accounts) -> None:
    accounts.add("ada@example.org", "Ada", Role.VIEWER, PASSWORD)

    def guess(n: int) -> str:
        try:
            return "checked" if accounts.sign_in("ada@example.org", f"guess-{n}") is None else "in"
        except TooManyAttempts:
            return "stopped"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(guess, range(40)))
    assert outcomes.count("checked") == MAX_FAILURES and outcomes.count("stopped") == 30
    long = "x" * 1_000_000 + "@example.org"  # not remembered whole, and no account
    assert accounts.sign_in(long, "guess") is None
