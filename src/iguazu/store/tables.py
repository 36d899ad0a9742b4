"""The schema, as SQLAlchemy Core tables. Alembic migrations create it; keep both in step."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; stored naive UTC on SQLite (sortable text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

invocations = sa.Table(
    "invocations",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("family", sa.String(200), nullable=False),
    sa.Column("job_name", sa.String(200), nullable=False),
    sa.Column("queue", sa.String(100), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("parameters", sa.JSON, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reserved_cpu", sa.Integer, nullable=False),
    sa.Column("reserved_memory", sa.Integer, nullable=False),
    sa.Column("timeout", sa.Float),
    sa.Column("command", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("not_before", UTCDateTime),
    sa.Column("next_try_at", UTCDateTime, nullable=False),  # not_before, or created_at
    sa.Column("started_at", UTCDateTime),
    sa.Column("ended_at", UTCDateTime),
    sa.Column("agent_id", sa.String(64)),
    sa.Column("cluster_ref", sa.String(200)),
    sa.Column("isolation", sa.String(16)),
    sa.Column("exit_code", sa.Integer),
    sa.Column("reason", sa.Text),
    sa.Column("idempotency_key", sa.String(200), unique=True),
    sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("retry_of", sa.String(32)),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("schedule_id", sa.String(32)),
    sa.Column("fire_time", UTCDateTime),
    sa.Column("deadline_at", UTCDateTime),
    sa.Column("waits_for", sa.String(32)),
    # Capabilities the agent must declare, sorted and joined by commas ("" for none).
    sa.Column("requires", sa.String(300), nullable=False, server_default=""),
    sa.Index("ix_invocations_claim", "state", "priority", "created_at"),
    sa.Index("ix_invocations_job", "family", "job_name", "created_at"),
    sa.Index("ix_invocations_created", "created_at"),
    sa.Index("ix_invocations_agent", "agent_id", "state"),
    # One invocation per fire, whichever scheduler replica gets there first.
    sa.Index("ix_invocations_fire", "schedule_id", "fire_time", unique=True),
    sa.Index("ix_invocations_deadline", "state", "deadline_at"),
    sa.Index("ix_invocations_waits_for", "waits_for"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("invocation_id", sa.String(32), nullable=False, index=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
)

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("cpu", sa.Integer, nullable=False),
    sa.Column("memory", sa.Integer, nullable=False),
    sa.Column("capabilities", sa.JSON, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("heartbeat_at", UTCDateTime, nullable=False),
    sa.Column("stopped_at", UTCDateTime),
)

schedules = sa.Table(
    "schedules",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("family", sa.String(200), nullable=False),
    sa.Column("job_name", sa.String(200), nullable=False),
    sa.Column("cron", sa.Text, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("parameters", sa.JSON, nullable=False),
    sa.Column("queue", sa.String(100), nullable=False),
    sa.Column("overlap", sa.String(16), nullable=False),
    sa.Column("misfire", sa.String(16), nullable=False),
    sa.Column("misfire_grace", sa.Float, nullable=False),
    sa.Column("catchup_window", sa.Float, nullable=False),
    sa.Column("catchup_limit", sa.Integer, nullable=False),
    sa.Column("start_deadline", sa.Float),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("next_fire_at", UTCDateTime),
    sa.Column("last_fire_at", UTCDateTime),
    # The scheduler reads only what is due, in order: its work grows with that, not with
    # how many schedules exist.
    sa.Index("ix_schedules_due", "paused", "next_fire_at"),
    sa.Index("ix_schedules_job", "family", "job_name"),
)

submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("assignment", sa.String(200), nullable=False),
    sa.Column("learner", sa.String(200), nullable=False),
    sa.Column("parts", sa.JSON, nullable=False),  # [{part, filename, language, size}]
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("invocation_id", sa.String(32)),
    sa.Column("graded_at", UTCDateTime),
    sa.Column("score", sa.Float),
    sa.Column("total", sa.Float),
    sa.Column("pass_mark", sa.Float),
    sa.Column("passed", sa.Boolean),
    sa.Column("result", sa.JSON),
    sa.Column("error", sa.Text),
    sa.Column("callback_url", sa.Text),
    sa.Column("callback_status", sa.Text),
    sa.Index("ix_submissions_learner", "assignment", "learner", "created_at"),
    sa.Index("ix_submissions_created", "created_at"),
)

submission_files = sa.Table(
    "submission_files",
    metadata,
    sa.Column("submission_id", sa.String(32), primary_key=True),
    sa.Column("part", sa.String(100), primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),  # lower case
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.Text),  # scrypt; None: signs in by token only
    sa.Column("token_hash", sa.String(64), unique=True),  # sha256 of a personal token
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),  # sha256 of the cookie's value
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
)
