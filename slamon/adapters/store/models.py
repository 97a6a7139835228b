"""Tables of slamon's store (SQLModel). Datetimes are timezone-aware (stored as UTC).

A change to a table needs an Alembic revision in ``migrations/versions/`` (see
slamon.adapters.store.schema; tests/test_store_migrations.py fails until the migrated schema equals
these models). SCHEMA_VERSION is the number slamon_meta keeps for releases before migrations
(slamon 0.1.0 refuses a store whose number is higher): a revision bumps it with the code.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

from slamon.core.vocabulary import (
    QUEUED,
    RUN_RUNNING,
)

SCHEMA_VERSION = 2  # revision 0002 set it


class Meta(SQLModel, table=True):
    __tablename__ = "slamon_meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))


class Application(SQLModel, table=True):
    """The current record of each application, as last seen at its source."""

    __tablename__ = "application"
    application_id: str = Field(primary_key=True, max_length=128)
    applicant_dept: str = Field(max_length=200, index=True)
    provider_dept: str = Field(max_length=200, index=True)
    resource_name: str = Field(max_length=500)
    share_type: str = Field(max_length=16)
    submitted_at: dt.datetime = Field(index=True)
    review_status: str = Field(max_length=16)
    reviewed_at: dt.datetime | None = None
    received_at: dt.datetime | None = None
    decision: str = Field(max_length=16)
    decided_at: dt.datetime | None = Field(default=None, index=True)
    applicant_region: str | None = Field(default=None, max_length=100)
    provider_region: str | None = Field(default=None, max_length=100)
    extension_working_days: int | None = None
    extension_approved_at: dt.datetime | None = None
    rejection_reason: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: dt.datetime | None = None
    content_hash: str = Field(max_length=32)
    source: str = Field(max_length=200)
    first_seen_at: dt.datetime
    last_changed_at: dt.datetime
    # Added later (nullable; revision 0002 adds it): the digest of the raw row the
    # record was validated from (service/batch_validation.raw_digest); a re-read row with the
    # same digest is not validated again.
    raw_digest: str | None = Field(default=None, max_length=32)


class ApplicationEvent(SQLModel, table=True):
    """Append-only history: one row each time an application is first seen or changes."""

    __tablename__ = "application_event"
    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(max_length=128, index=True)
    poll_run_id: int | None = Field(default=None, index=True)
    observed_at: dt.datetime
    kind: str = Field(max_length=16)  # created / changed
    review_status: str = Field(max_length=16)
    decision: str = Field(max_length=16)
    received_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    changes: str = Field(sa_column=Column(Text, nullable=False))  # JSON {field: [old, new]}


class ApplicationHistoryRow(SQLModel, table=True):
    """What slamon saw before that the platform no longer shows (core/history): only for the
    applications that have something to say (an answer rewritten, a new round of the clock)."""

    __tablename__ = "application_history"
    application_id: str = Field(primary_key=True, max_length=128)
    answer_decision: str | None = Field(default=None, max_length=16)
    answer_decided_at: dt.datetime | None = None
    changed_decision: str | None = Field(default=None, max_length=16)
    changed_decided_at: dt.datetime | None = None
    restart_at: dt.datetime | None = None
    restart_reason: str | None = Field(default=None, max_length=16)
    previous_provider: str | None = Field(default=None, max_length=200)
    previous_decision: str | None = Field(default=None, max_length=16)
    previous_decided_at: dt.datetime | None = None
    written_at: dt.datetime


class SlaStateRow(SQLModel, table=True):
    """The SLA state of each application as of the last evaluation."""

    __tablename__ = "sla_state"
    application_id: str = Field(primary_key=True, max_length=128)
    stage: str = Field(max_length=20, index=True)
    rule_id: str | None = Field(default=None, max_length=64)
    deadline: dt.datetime | None = None
    deadline_date: dt.date | None = Field(default=None, index=True)
    overdue_working_days: int = 0
    answer_working_days: int | None = None
    calendar_official: bool = True
    fingerprint: str = Field(max_length=32)
    evaluated_at: dt.datetime
    # Added later (nullable: filled at the next read of a store made before):
    started_at: dt.datetime | None = None  # the answer clock's start (core/stages.clock_start)
    start_event: str | None = Field(default=None, max_length=16)  # the field it came from
    extended_by: int | None = None  # working days of an applied extension
    flags: str | None = Field(default=None, max_length=200)  # comma-joined FLAG codes


class DataIssue(SQLModel, table=True):
    """An application held back as doubtful (数据存疑): open while ``cleared_at`` is null.

    One row per episode: a later good row clears it (``cleared_at``), a new doubt opens a new row.
    """

    __tablename__ = "data_issue"
    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(max_length=128, index=True)
    reason: str = Field(max_length=32)  # rejected_update / conflicting_rows / deleted
    detail: str = Field(sa_column=Column(Text, nullable=False))
    since: dt.datetime
    last_seen_at: dt.datetime
    poll_run_id: int | None = None
    cleared_at: dt.datetime | None = Field(default=None, index=True)


class DeadlineChange(SQLModel, table=True):
    """A deadline that moved because the calendar or the rules changed."""

    __tablename__ = "deadline_change"
    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(max_length=128, index=True)
    old_deadline: dt.datetime | None = None
    new_deadline: dt.datetime | None = None
    old_rule_id: str | None = Field(default=None, max_length=64)
    new_rule_id: str | None = Field(default=None, max_length=64)
    old_fingerprint: str = Field(max_length=32)
    new_fingerprint: str = Field(max_length=32)
    changed_at: dt.datetime


class PollRun(SQLModel, table=True):
    __tablename__ = "poll_run"
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=200)
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    status: str = Field(default=RUN_RUNNING, max_length=16)  # RUN_RUNNING / RUN_OK / RUN_FAILED
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))


class RejectedRow(SQLModel, table=True):
    """A row a source delivered that broke the record rules; kept until the row is fixed."""

    __tablename__ = "rejected_row"
    __table_args__ = (UniqueConstraint("source", "row_ref", "field", name="uq_rejected_row"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=200)
    row_ref: str = Field(max_length=200)
    field: str = Field(max_length=64)
    message: str = Field(sa_column=Column(Text, nullable=False))
    raw: str = Field(sa_column=Column(Text, nullable=False))  # JSON of the raw row
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    poll_run_id: int | None = None
    application_id: str | None = Field(default=None, max_length=128, index=True)
    # When a later good row of the same application loaded: out of the default status view.
    settled_at: dt.datetime | None = None


class ImportedFile(SQLModel, table=True):
    """Files already imported (by content hash), so a folder export is imported exactly once."""

    __tablename__ = "imported_file"
    sha256: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=500)
    imported_at: dt.datetime
    poll_run_id: int | None = None


class Lease(SQLModel, table=True):
    """Which daemon runs the jobs when several share one store."""

    __tablename__ = "lease"
    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=200)
    expires_at: dt.datetime


class Outbox(SQLModel, table=True):
    """Planned mail. ``key`` makes planning idempotent; the deliverer claims rows by a conditional UPDATE.

    See slamon.adapters.store.outbox for the row life cycle and slamon.service.notices for the guarantee.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_not_before", "status", "not_before"),
        Index("ix_outbox_kind_working_day", "kind", "working_day"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(
        max_length=300, unique=True
    )  # department|kind|working day (stale|source|day ...)
    kind: str = Field(max_length=32)  # notice / escalation / stale_source / digest ...
    department: str | None = Field(default=None, max_length=200, index=True)
    working_day: dt.date
    recipients: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    subject: str = Field(sa_column=Column(Text, nullable=False))
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    # JSON list of item snapshots ({"application_id", "kind", "resource_name", ...}); [] for other mail
    items: str = Field(sa_column=Column(Text, nullable=False))
    unassigned: bool = False  # the department has no contact: sent to the supervisors instead
    message_id: str = Field(max_length=300)
    status: str = Field(default=QUEUED, max_length=16)  # vocabulary OUTBOX_STATUSES
    attempts: int = 0
    # Deliveries whose outcome is unknown (accepted then dropped, reply after the timeout, a
    # worker that died while sending): one resend is allowed, then the row is held.
    unknown_outcomes: int = 0
    not_before: dt.datetime
    claimed_by: str | None = Field(default=None, max_length=200)
    claimed_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    refused: str | None = Field(default=None, sa_column=Column(Text))  # JSON {address: reason}
    created_at: dt.datetime


class Exemption(SQLModel, table=True):
    """核实排除, append-only: an ``exempt`` fact or a ``revoke`` fact with who, when and why.

    Never updated or deleted: the latest fact of an application says whether it is exempted now.
    """

    __tablename__ = "exemption"
    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(max_length=128, index=True)
    action: str = Field(max_length=16)  # exempt / revoke
    reason: str = Field(sa_column=Column(Text, nullable=False))
    by: str = Field(max_length=200)
    at: dt.datetime


class FeedbackRequest(SQLModel, table=True):
    """One department asked to verify its findings in a month's draft 存在问题 (the 核实 round),
    append-only: written with its outbox row (key ``feedback|<YYYY-MM>|<department>``), once."""

    __tablename__ = "feedback_request"
    __table_args__ = (UniqueConstraint("month", "department", name="uq_feedback_month_dept"),)
    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM of the report
    department: str = Field(max_length=200)
    asked_at: dt.datetime  # when the round was started (the mail was queued)
    send_day: dt.date  # the working day the mail leaves (the sending window's)
    feedback_deadline: dt.date  # report.feedback_working_days after send_day
    applications: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of ids
    recipients: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    unassigned: bool = False  # no contact configured: the supervisors received it
    outbox_key: str = Field(max_length=300)
    by: str = Field(max_length=200)  # who started the round (cli / daemon / a web user)


class Dispute(SQLModel, table=True):
    """情况说明: a department's explanation of an application's verdict (from the dashboard, or
    recorded by staff from a phone call or a letter). Never updated: its decision is a
    :class:`DisputeDecision`, its attachment a :class:`DisputeAttachment`."""

    __tablename__ = "dispute"
    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(max_length=128, index=True)
    department: str = Field(max_length=200, index=True)  # the provider it speaks for
    text: str = Field(sa_column=Column(Text, nullable=False))
    channel: str = Field(max_length=16)  # core/disputes CHANNELS: web / phone / letter
    by: str = Field(max_length=200)  # the dashboard user, or the staff member who recorded it
    at: dt.datetime
    attachment_name: str | None = Field(default=None, max_length=200)
    attachment_type: str | None = Field(default=None, max_length=100)
    attachment_size: int | None = None
    attachment_sha256: str | None = Field(default=None, max_length=64)


class DisputeAttachment(SQLModel, table=True):
    """The one file of a 情况说明, kept in the store beside it (written in the same transaction),
    in pieces of at most 1 MB (``seq`` 0, 1, …): a MariaDB server's default max_allowed_packet
    (16 MB) refuses a whole 10 MB file in one statement."""

    __tablename__ = "dispute_attachment"
    dispute_id: int = Field(primary_key=True)
    seq: int = Field(primary_key=True, default=0)
    content: bytes = Field(
        sa_column=Column(
            LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb"), nullable=False
        )
    )


class DisputeDecision(SQLModel, table=True):
    """The decision on a 情况说明, append-only and at most one (the unique dispute_id): accepted
    (with the exemption it made) or rejected, with the reason, who and when."""

    __tablename__ = "dispute_decision"
    id: int | None = Field(default=None, primary_key=True)
    dispute_id: int = Field(unique=True)
    decision: str = Field(max_length=16)  # accepted / rejected
    reason: str = Field(sa_column=Column(Text, nullable=False))
    by: str = Field(max_length=200)
    at: dt.datetime


class WebSessionRow(SQLModel, table=True):
    """A dashboard login. The cookie carries a random token; only its SHA-256 is stored. Valid
    while not revoked, not expired and ``credential`` still matches the user's line in the users
    file (see slamon.service.web_sessions)."""

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_name: str = Field(max_length=64, index=True)
    credential: str = Field(max_length=64)
    csrf: str = Field(max_length=64)
    client: str = Field(max_length=64)
    created_at: dt.datetime
    expires_at: dt.datetime = Field(index=True)
    revoked_at: dt.datetime | None = None
    revoked_reason: str | None = Field(default=None, max_length=32)
    flash: str | None = Field(default=None, sa_column=Column(Text))  # the next page's message


class StoreDateTime(UTCDateTime):
    """An aware datetime stored in UTC (SQLModel's ``UTCDateTime``) to the microsecond on every
    store. MySQL and MariaDB ``DATETIME`` keeps whole seconds unless declared ``DATETIME(6)``: a
    ``now`` stored there no longer equals the ``now`` it was written with (the poll's preview of
    what it planned came back empty; open applications were evaluated twice)."""

    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return super().load_dialect_impl(dialect)


def _to_the_microsecond() -> None:
    """Every datetime column of the store as :class:`StoreDateTime` (SQLModel gives each
    ``dt.datetime`` field a ``UTCDateTime``; one place here instead of a type on 30 fields)."""
    for table in SQLModel.metadata.tables.values():
        for column in table.columns:
            if type(column.type) is UTCDateTime:
                column.type = StoreDateTime()


_to_the_microsecond()
