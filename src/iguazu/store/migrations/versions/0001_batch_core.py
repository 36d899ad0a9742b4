"""Batch core: invocations, their events, agents.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from iguazu.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invocations",
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
        sa.Column("next_try_at", UTCDateTime, nullable=False),
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
    )
    op.create_index("ix_invocations_claim", "invocations", ["state", "priority", "created_at"])
    op.create_index("ix_invocations_job", "invocations", ["family", "job_name", "created_at"])
    op.create_index("ix_invocations_created", "invocations", ["created_at"])
    op.create_index("ix_invocations_agent", "invocations", ["agent_id", "state"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("invocation_id", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index("ix_events_invocation_id", "events", ["invocation_id"])
    op.create_table(
        "agents",
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


def downgrade() -> None:
    op.drop_table("agents")
    op.drop_table("events")
    op.drop_table("invocations")
