"""The store of slamon 0.1.0 (git 9382f49), the last release without migrations.

Frozen: the tables as that release's models made them on SQLite, PostgreSQL and MariaDB. Every
table is a function returning its columns, so the same definition creates the tables here and
tells slamon.adapters.store.schema what a store made before migrations must have (``metadata``).

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TITLE = "建立 slamon 0.1.0 的全部数据表"

# An aware datetime stored as UTC: text on SQLite, timestamptz on PostgreSQL, DATETIME(6) on
# MySQL/MariaDB (what the models' StoreDateTime makes).
DATETIME = (
    sa.DateTime()
    .with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
    .with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
)


def _s(name: str, length: int, nullable: bool = False, **kw: object) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=nullable, **kw)


def _t(name: str, nullable: bool = False, **kw: object) -> sa.Column:
    return sa.Column(name, DATETIME, nullable=nullable, **kw)


def _text(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _int(name: str, nullable: bool = False, **kw: object) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable, **kw)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True, nullable=False)


def _meta() -> list[sa.SchemaItem]:
    return [_s("key", 64, primary_key=True), _text("value")]


def _application() -> list[sa.SchemaItem]:
    return [
        _s("application_id", 128, primary_key=True),
        _s("applicant_dept", 200, index=True),
        _s("provider_dept", 200, index=True),
        _s("resource_name", 500),
        _s("share_type", 16),
        _t("submitted_at", index=True),
        _s("review_status", 16),
        _t("reviewed_at", True),
        _t("received_at", True),
        _s("decision", 16),
        _t("decided_at", True, index=True),
        _s("applicant_region", 100, True),
        _s("provider_region", 100, True),
        _int("extension_working_days", True),
        _t("extension_approved_at", True),
        _text("rejection_reason", True),
        _t("updated_at", True),
        _s("content_hash", 32),
        _s("source", 200),
        _t("first_seen_at"),
        _t("last_changed_at"),
    ]


def _application_event() -> list[sa.SchemaItem]:
    return [
        _id(),
        _s("application_id", 128, index=True),
        _int("poll_run_id", True, index=True),
        _t("observed_at"),
        _s("kind", 16),
        _s("review_status", 16),
        _s("decision", 16),
        _t("received_at", True),
        _t("decided_at", True),
        _text("changes"),
    ]


def _application_history() -> list[sa.SchemaItem]:
    return [
        _s("application_id", 128, primary_key=True),
        _s("answer_decision", 16, True),
        _t("answer_decided_at", True),
        _s("changed_decision", 16, True),
        _t("changed_decided_at", True),
        _t("restart_at", True),
        _s("restart_reason", 16, True),
        _s("previous_provider", 200, True),
        _s("previous_decision", 16, True),
        _t("previous_decided_at", True),
        _t("written_at"),
    ]


def _sla_state() -> list[sa.SchemaItem]:
    return [
        _s("application_id", 128, primary_key=True),
        _s("stage", 20, index=True),
        _s("rule_id", 64, True),
        _t("deadline", True),
        sa.Column("deadline_date", sa.Date(), nullable=True, index=True),
        _int("overdue_working_days"),
        _int("answer_working_days", True),
        sa.Column("calendar_official", sa.Boolean(), nullable=False),
        _s("fingerprint", 32),
        _t("evaluated_at"),
        _t("started_at", True),
        _s("start_event", 16, True),
        _int("extended_by", True),
        _s("flags", 200, True),
    ]


def _data_issue() -> list[sa.SchemaItem]:
    return [
        _id(),
        _s("application_id", 128, index=True),
        _s("reason", 32),
        _text("detail"),
        _t("since"),
        _t("last_seen_at"),
        _int("poll_run_id", True),
        _t("cleared_at", True, index=True),
    ]


def _deadline_change() -> list[sa.SchemaItem]:
    return [
        _id(),
        _s("application_id", 128, index=True),
        _t("old_deadline", True),
        _t("new_deadline", True),
        _s("old_rule_id", 64, True),
        _s("new_rule_id", 64, True),
        _s("old_fingerprint", 32),
        _s("new_fingerprint", 32),
        _t("changed_at"),
    ]


def _poll_run() -> list[sa.SchemaItem]:
    return [
        _id(),
        _s("source", 200),
        _t("started_at"),
        _t("finished_at", True),
        _s("status", 16),
        *(_int(n) for n in ("fetched", "inserted", "updated", "unchanged", "rejected")),
        _text("error", True),
    ]


def _rejected_row() -> list[sa.SchemaItem]:
    return [
        _id(),
        _s("source", 200),
        _s("row_ref", 200),
        _s("field", 64),
        _text("message"),
        _text("raw"),
        _t("first_seen_at"),
        _t("last_seen_at"),
        _int("poll_run_id", True),
        _s("application_id", 128, True, index=True),
        _t("settled_at", True),
        sa.UniqueConstraint("source", "row_ref", "field", name="uq_rejected_row"),
    ]


def _imported_file() -> list[sa.SchemaItem]:
    return [
        _s("sha256", 64, primary_key=True),
        _s("name", 500),
        _t("imported_at"),
        _int("poll_run_id", True),
    ]


def _lease() -> list[sa.SchemaItem]:
    return [_s("name", 64, primary_key=True), _s("holder", 200), _t("expires_at")]


def _outbox() -> list[sa.SchemaItem]:
    return [
        _id(),
        _s("key", 300, unique=True),
        _s("kind", 32),
        _s("department", 200, True, index=True),
        sa.Column("working_day", sa.Date(), nullable=False),
        *(_text(n) for n in ("recipients", "subject", "body_text", "body_html", "items")),
        sa.Column("unassigned", sa.Boolean(), nullable=False),
        _s("message_id", 300),
        _s("status", 16),
        _int("attempts"),
        _int("unknown_outcomes"),
        _t("not_before"),
        _s("claimed_by", 200, True),
        _t("claimed_at", True),
        _t("sent_at", True),
        _text("last_error", True),
        _text("refused", True),
        _t("created_at"),
        sa.Index("ix_outbox_status_not_before", "status", "not_before"),
        sa.Index("ix_outbox_kind_working_day", "kind", "working_day"),
    ]


def _exemption() -> list[sa.SchemaItem]:
    return [
        _id(),
        _s("application_id", 128, index=True),
        _s("action", 16),
        _text("reason"),
        _s("by", 200),
        _t("at"),
    ]


def _web_session() -> list[sa.SchemaItem]:
    return [
        _id(),
        _s("token_hash", 64, unique=True),
        _s("user_name", 64, index=True),
        _s("credential", 64),
        _s("csrf", 64),
        _s("client", 64),
        _t("created_at"),
        _t("expires_at", index=True),
        _t("revoked_at", True),
        _s("revoked_reason", 32, True),
        _text("flash", True),
    ]


TABLES: dict[str, Callable[[], list[sa.SchemaItem]]] = {
    "slamon_meta": _meta,
    "application": _application,
    "application_event": _application_event,
    "application_history": _application_history,
    "sla_state": _sla_state,
    "data_issue": _data_issue,
    "deadline_change": _deadline_change,
    "poll_run": _poll_run,
    "rejected_row": _rejected_row,
    "imported_file": _imported_file,
    "lease": _lease,
    "outbox": _outbox,
    "exemption": _exemption,
    "web_session": _web_session,
}


def metadata() -> sa.MetaData:
    """The tables of this revision as SQLAlchemy objects (fresh ones on every call)."""
    meta = sa.MetaData()
    for name, columns in TABLES.items():
        sa.Table(name, meta, *columns())
    return meta


def upgrade() -> None:
    for name, columns in TABLES.items():
        op.create_table(name, *columns())
    op.bulk_insert(
        sa.table("slamon_meta", sa.column("key"), sa.column("value")),
        [{"key": "schema_version", "value": "1"}],
    )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
