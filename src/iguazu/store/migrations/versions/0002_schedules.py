"""Schedules, and the invocations they fire: one per (schedule_id, fire_time).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from iguazu.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("invocations", sa.Column("schedule_id", sa.String(32)))
    op.add_column("invocations", sa.Column("fire_time", UTCDateTime))
    op.add_column("invocations", sa.Column("deadline_at", UTCDateTime))
    op.add_column("invocations", sa.Column("waits_for", sa.String(32)))
    op.create_index("ix_invocations_fire", "invocations", ["schedule_id", "fire_time"], unique=True)
    op.create_index("ix_invocations_deadline", "invocations", ["state", "deadline_at"])
    op.create_index("ix_invocations_waits_for", "invocations", ["waits_for"])
    op.create_table(
        "schedules",
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
    )
    op.create_index("ix_schedules_due", "schedules", ["paused", "next_fire_at"])
    op.create_index("ix_schedules_job", "schedules", ["family", "job_name"])


def downgrade() -> None:
    op.drop_table("schedules")
    op.drop_index("ix_invocations_waits_for", "invocations")
    op.drop_index("ix_invocations_deadline", "invocations")
    op.drop_index("ix_invocations_fire", "invocations")
    for column in ("waits_for", "deadline_at", "fire_time", "schedule_id"):
        op.drop_column("invocations", column)
