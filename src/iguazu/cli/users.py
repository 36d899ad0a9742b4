"""`iguazu user add|ls|password|token|disable`: the web UI's accounts, kept in the store
(run where the settings reach the database, as `iguazu migrate` is)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from ..accounts import Accounts
from ..errors import InvalidRequest
from ..models import Role
from ..store import Store
from . import app
from .client import command
from .config import load_settings
from .render import console, table, when

user_app = typer.Typer(no_args_is_help=True, help="Accounts of the web UI.")
app.add_typer(user_app, name="user")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Settings file.")]
Password = Annotated[
    str | None,
    typer.Option(
        "--password", envvar="IGUAZU_NEW_PASSWORD", help="Default: asked for, not echoed."
    ),
]


@contextmanager
def _accounts(config: Path | None) -> Iterator[Accounts]:
    store = Store(load_settings(config).url)
    try:
        store.migrate()
        yield Accounts(store=store)
    finally:
        store.close()


def _ask(password: str | None) -> str:
    if password is not None:
        return password
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@command("add", user_app)
def add(
    email: Annotated[str, typer.Argument(help="Signs in with this address.")],
    name: Annotated[str, typer.Option("--name", help="As the UI's header shows it.")],
    role: Annotated[str, typer.Option("--role", help="admin, developer or viewer.")] = "viewer",
    password: Password = None,
    token_only: Annotated[
        bool, typer.Option("--token-only", help="No password: signs in with a token.")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Add an account."""
    with _accounts(config) as accounts:
        user = accounts.add(email, name, role, None if token_only else _ask(password))
        console().print(f"added {user.email} ({user.name}), {user.role.value}")
        if token_only:
            console().print(f"token: {accounts.issue_token(user.email)}")


@command("ls", user_app)
def ls(config: ConfigOpt = None) -> None:
    """The accounts."""
    with _accounts(config) as accounts:
        rows = table("email", "name", "role", "since", "disabled")
        for u in accounts.store.users():
            rows.add_row(
                u.email, u.name, u.role.value, when(u.created_at), "yes" if u.disabled else ""
            )
        console().print(rows)


@command("password", user_app)
def password(email: str, password: Password = None, config: ConfigOpt = None) -> None:
    """Set an account's password (its sessions end)."""
    with _accounts(config) as accounts:
        accounts.set_password(email, _ask(password))
        console().print(f"password of {email} changed")


@command("token", user_app)
def token(email: str, config: ConfigOpt = None) -> None:
    """Issue a personal sign-in token (the account's previous token stops working)."""
    with _accounts(config) as accounts:
        console().print(accounts.issue_token(email))


@command("role", user_app)
def role(
    email: str, new_role: Annotated[str, typer.Argument(metavar="ROLE")], config: ConfigOpt = None
) -> None:
    """Change an account's role: admin, developer or viewer."""
    with _accounts(config) as accounts:
        user = accounts.store.user(email=email.strip().lower())
        try:
            accounts.store.set_user(user.id, role=Role(new_role))
        except ValueError:
            wrong = f"role must be admin, developer or viewer, not {new_role!r}"
            raise InvalidRequest(wrong) from None
        console().print(f"{user.email} is now {new_role}")


@command("disable", user_app)
def disable(email: str, config: ConfigOpt = None) -> None:
    """Stop an account from signing in (its sessions end at once)."""
    with _accounts(config) as accounts:
        user = accounts.store.user(email=email.strip().lower())
        accounts.store.set_user(user.id, disabled=True)
        console().print(f"{user.email} is disabled")
