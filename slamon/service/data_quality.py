"""What a report or a page rests on: ``data_quality(engine, rt, now, month=None)``.

Last successful read, rows rejected in the period, data issues, exemptions, withdrawn
applications and department names that look like typos of known ones, plus the warnings when
the figures cannot be relied on (an as-of moment in the future or after the last successful
read, or nothing in the store for the month).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from slamon.adapters.store import data_issues, quality_queries, runs
from slamon.core.data_quality import (
    DataQuality,
    ExemptedEntry,
    UnknownDepartment,
    as_of_warnings,
)
from slamon.core.departments import near_misses, variant_groups
from slamon.core.periods import Month
from slamon.core.refusals import refusals_phrase
from slamon.core.times import stored_utc
from slamon.core.vocabulary import (
    RUN_OK,
    WITHDRAWN,
)
from slamon.runtime import Runtime
from slamon.service.exemptions import ExemptionFact, active_exemptions, submitted_in
from slamon.service.outbox_admin import refused_recipients

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from slamon.core.digest_figures import Digest
    from slamon.core.report_figures import MonthlyFigures


def known_departments(rt: Runtime) -> set[str]:
    """The configured department names: contacts, aliases (both sides) and ``departments:``."""
    s = rt.settings
    return set(s.contacts) | set(s.aliases) | set(s.aliases.values()) | set(s.departments)


def unknown_departments(rt: Runtime, counts: dict[str, int]) -> tuple[UnknownDepartment, ...]:
    """Names in ``counts`` not known but close to a known name, and names in the data that are
    variants of another name in the data (traditional characters, the 贵州省 prefix, 委员会/委,
    widths and spaces): one department split in two until an alias joins them."""
    known = known_departments(rt)
    misses = near_misses(counts, known, rt.settings.aliases) if known else {}
    out = [UnknownDepartment(n, hint, counts.get(n, 0)) for n, hint in sorted(misses.items())]
    for name, main in sorted(variant_groups(counts).items()):
        if name not in misses and name not in known:
            out.append(UnknownDepartment(name, main, counts.get(name, 0), in_data=True))
    return tuple(out)


def last_read(conn: Connection) -> dt.datetime | None:
    """When the last successful read of the source began (its data is as of then)."""
    run = runs.last_run(conn, RUN_OK)
    if run is None:
        return None
    at = run.get("started_at")
    return stored_utc(at)


def _entry(f: ExemptionFact, left_out: bool) -> ExemptedEntry:
    return ExemptedEntry(
        f.application_id,
        f.provider_dept or "—",
        f.resource_name or "—",
        f.reason,
        f.by,
        f.at,
        left_out,
    )


def data_quality(
    engine: Engine,
    rt: Runtime,
    now: dt.datetime,
    month: str | Month | None = None,
    figures: MonthlyFigures | None = None,
) -> DataQuality:
    """The note for ``month`` (with its ``figures`` when already computed), or for the whole store."""
    with engine.connect() as conn:
        read = last_read(conn)
        exempt = active_exemptions(conn)
        if month is None:
            return DataQuality(
                last_read=read,
                rejected_rows=quality_queries.rejected_rows(conn),
                data_issues=len(data_issues.open_issues(conn)),
                withdrawn=quality_queries.count_decision(conn, WITHDRAWN),
                exemptions=tuple(_entry(f, False) for f in exempt.values()),
                unknown_departments=unknown_departments(rt, quality_queries.provider_counts(conn)),
            )
        m = Month.parse(month) if isinstance(month, str) else month
        as_of = figures.as_of if figures is not None else m.end(rt.tz)
        start, end = m.start(rt.tz), min(m.end(rt.tz), as_of)
        counts = quality_queries.provider_counts(conn, start, end)
        rejected = quality_queries.rejected_rows(conn, start, as_of)
    if figures is not None:  # the late list also names providers of earlier months' applications
        for g in figures.late:
            counts.setdefault(g.provider_dept, len(g.items))
    left_out = {i.application_id for i in figures.exempted} if figures is not None else set()
    in_month = {aid for aid, f in exempt.items() if aid in left_out or submitted_in(f, start, end)}
    entries = tuple(
        _entry(exempt[aid], aid in left_out)
        for aid in sorted(in_month, key=lambda a: (exempt[a].at, a))
    )
    has_records = bool(counts)
    return DataQuality(
        last_read=read,
        rejected_rows=rejected,
        data_issues=len(figures.held) if figures is not None else 0,
        withdrawn=figures.withdrawn if figures is not None else 0,
        exemptions=entries,
        unknown_departments=unknown_departments(rt, counts),
        warnings=tuple(as_of_warnings(as_of, now, read, has_records, m.label, rt.tz)),
        **(DataQuality.from_flags(figures.flagged) if figures is not None else {}),
        id_conflicts=figures.id_conflicts if figures is not None else (),
    )


def week_quality(engine: Engine, rt: Runtime, now: dt.datetime, digest: Digest) -> DataQuality:
    """The note and warnings of a weekly digest: the same facts over the digest's week, and the
    recipients whose mail server refused that week's mail (a department that hears nothing)."""
    start, as_of = digest.week.start(rt.tz), digest.current.as_of
    refused = refused_recipients(engine, rt, as_of, since=start)
    with engine.connect() as conn:
        read = last_read(conn)
        exempt = active_exemptions(conn)
        counts = quality_queries.provider_counts(conn, start, as_of)
        rejected = quality_queries.rejected_rows(conn, start, as_of)
    total = digest.current.total
    has_records = bool(counts) or bool(digest.rows)
    return DataQuality(
        last_read=read,
        rejected_rows=rejected,
        data_issues=total.held,
        withdrawn=total.withdrawn,
        exemptions=tuple(_entry(f, False) for f in exempt.values()),
        unknown_departments=unknown_departments(rt, counts),
        warnings=(
            *as_of_warnings(as_of, now, read, has_records, digest.week.label, rt.tz),
            *([f"本周有 {refusals_phrase(refused)}，请核实联系人配置"] if refused else []),
        ),
    )
