"""Fixtures for the contract suite: every test runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from $IGUAZU_TEST_POSTGRES_URL (`.ci/run` starts one on loopback with
scripts/pg-start). Without it the PostgreSQL half is skipped, and says so. Each test gets a
fresh database cloned from a template that was migrated once (procrastinate's trick).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from iguazu.store import Store

PG_URL = os.environ.get("IGUAZU_TEST_POSTGRES_URL")
TEMPLATE = "iguazu_test_template"


def _admin() -> sa.Engine:
    assert PG_URL
    return sa.create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("no PostgreSQL: set IGUAZU_TEST_POSTGRES_URL (.ci/run does)")
    admin = _admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        conn.exec_driver_sql(f"CREATE DATABASE {TEMPLATE}")
    store = Store(str(sa.engine.make_url(PG_URL).set(database=TEMPLATE)))
    store.migrate()
    store.close()
    yield TEMPLATE
    admin.dispose()


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    name = f"iguazu_test_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    yield sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'iguazu.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def any_store(any_url: str) -> Iterator[Store]:
    store = Store(any_url)
    store.migrate()
    yield store
    store.close()
