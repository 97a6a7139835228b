"""Disputes (情况说明) with their attachments and decisions, the feedback round (核实) table, and
application.raw_digest.

Also sets slamon_meta's schema_version to 2, so slamon 0.1.0 (which knows no revisions and reads
only that number) refuses the store instead of writing to it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TITLE = "新增情况说明（dispute、dispute_attachment、dispute_decision）和核实轮次（feedback_request）表，申请表增加 raw_digest 列"

DATETIME = (
    sa.DateTime()
    .with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
    .with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
)
BLOB = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True, nullable=False)


def _feedback_request() -> None:
    op.create_table(
        "feedback_request",
        _id(),
        sa.Column("month", sa.String(7), nullable=False, index=True),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("asked_at", DATETIME, nullable=False),
        sa.Column("send_day", sa.Date(), nullable=False),
        sa.Column("feedback_deadline", sa.Date(), nullable=False),
        sa.Column("applications", sa.Text(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("unassigned", sa.Boolean(), nullable=False),
        sa.Column("outbox_key", sa.String(300), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.UniqueConstraint("month", "department", name="uq_feedback_month_dept"),
    )


def _disputes() -> None:
    op.create_table(
        "dispute",
        _id(),
        sa.Column("application_id", sa.String(128), nullable=False, index=True),
        sa.Column("department", sa.String(200), nullable=False, index=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", DATETIME, nullable=False),
        sa.Column("attachment_name", sa.String(200), nullable=True),
        sa.Column("attachment_type", sa.String(100), nullable=True),
        sa.Column("attachment_size", sa.Integer(), nullable=True),
        sa.Column("attachment_sha256", sa.String(64), nullable=True),
    )
    op.create_table(
        "dispute_attachment",
        sa.Column("dispute_id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("seq", sa.Integer(), primary_key=True, nullable=False),  # pieces of 1 MB
        sa.Column("content", BLOB, nullable=False),
    )
    op.create_table(
        "dispute_decision",
        _id(),
        sa.Column("dispute_id", sa.Integer(), nullable=False, unique=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", DATETIME, nullable=False),
    )


def _schema_version(value: str) -> None:
    meta = sa.table("slamon_meta", sa.column("key", sa.String()), sa.column("value", sa.Text()))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value=value))


def upgrade() -> None:
    op.add_column("application", sa.Column("raw_digest", sa.String(32), nullable=True))
    _feedback_request()
    _disputes()
    _schema_version("2")


def downgrade() -> None:
    _schema_version("1")
    for name in ("dispute_decision", "dispute_attachment", "dispute", "feedback_request"):
        op.drop_table(name)
    op.drop_column("application", "raw_digest")
