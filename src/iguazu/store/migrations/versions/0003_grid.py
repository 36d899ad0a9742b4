"""Grading: invocations that need an agent capability, submissions and their files.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from iguazu.store.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "invocations", sa.Column("requires", sa.String(300), nullable=False, server_default="")
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("assignment", sa.String(200), nullable=False),
        sa.Column("learner", sa.String(200), nullable=False),
        sa.Column("parts", sa.JSON, nullable=False),
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
    )
    op.create_index(
        "ix_submissions_learner", "submissions", ["assignment", "learner", "created_at"]
    )
    op.create_index("ix_submissions_created", "submissions", ["created_at"])
    op.create_table(
        "submission_files",
        sa.Column("submission_id", sa.String(32), primary_key=True),
        sa.Column("part", sa.String(100), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("submission_files")
    op.drop_table("submissions")
    op.drop_column("invocations", "requires")
