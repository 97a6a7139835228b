"""The report services the CLI and the daemon call: one report, one digest, one file set.

The daemon calls :func:`write_monthly_reports_if_due` and :func:`queue_weekly_digest_if_due`
every few minutes; both are idempotent (a Meta row remembers a written month, the outbox key
``digest|<YYYY-Www>`` a queued digest).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from slamon.adapters.render.digest import RenderedDigest, render_digest
from slamon.adapters.store import runs
from slamon.adapters.store.report_queries import first_submitted, month_records, week_records
from slamon.core.digest_figures import Digest, weekly_digest
from slamon.core.periods import IsoWeek, Month
from slamon.core.report_figures import monthly_figures
from slamon.core.report_wording import MonthlyReport, build_report
from slamon.runtime import Runtime
from slamon.service.doubts import held_ids
from slamon.service.exemptions import active_ids
from slamon.service.trends import history, report_comparison

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("slamon.reports")

FILE_FORMATS = ("text", "md", "docx")  # the monthly files the daemon and the demo write
DIGEST_KIND = "digest"


def monthly_report(
    engine: Engine,
    rt: Runtime,
    month: str | Month,
    as_of: dt.datetime | None = None,
    now: dt.datetime | None = None,
    with_feedback: bool = True,
) -> MonthlyReport:
    """The month's report as of ``as_of`` (default: 24:00 of the month's last day), made at
    ``now`` (default: the real clock): the figures, the sentences and what they rest on;
    ``with_feedback``: and what the month's 核实 round came to (False: the draft itself)."""
    from slamon.service.data_quality import data_quality

    m = Month.parse(month)
    at = as_of or m.end(rt.tz)
    made = now or dt.datetime.now(rt.tz)
    records = month_records(engine, m, at, rt.tz, rt.rules.bound_share_types())
    held = held_ids(engine)
    exempt = active_ids(engine)
    figures = monthly_figures(records, m, at, rt.rules, rt.calendar, rt.tz, held, exempt)
    quality = data_quality(engine, rt, made, m, figures)
    if with_feedback:
        from slamon.service.feedback_record import with_round

        quality = with_round(engine, m, quality)
    for warning in quality.warnings:
        log.warning("report.warning month=%s %s", m.key, warning)
    doc = rt.settings.report_document
    earlier = report_comparison(engine, rt, figures)  # 存在问题's repeats and 环比
    return dataclasses.replace(
        build_report(figures, rt.rules, rt.tz, earlier),
        quality=quality,
        issued_on=made.astimezone(rt.tz).date(),
        issuer=doc.issuer,
        distribution=doc.distribution,
        printed_by=doc.printed_by,
        trend=history(engine, rt, at, last=m) if doc.charts else None,
    )


def report_months(engine: Engine, rt: Runtime, now: dt.datetime) -> list[Month]:
    """The months a report can be asked for, newest first: from the month of the earliest
    stored application to the month of ``now`` (only that month when the store is empty)."""
    newest = Month.of(now.astimezone(rt.tz).date())
    first = first_submitted(engine)
    oldest = Month.of(first.astimezone(rt.tz).date()) if first is not None else newest
    months = [newest]
    while months[-1] > oldest:
        months.append(months[-1].previous())
    return months


def default_week(now: dt.datetime, tz: dt.tzinfo) -> IsoWeek:
    """The last complete ISO week before ``now``."""
    return IsoWeek.of(now.astimezone(tz).date()).previous()


def digest(engine: Engine, rt: Runtime, week: str | IsoWeek | None, now: dt.datetime) -> Digest:
    w = IsoWeek.parse(week) if week is not None else default_week(now, rt.tz)
    records = week_records(engine, w, now, rt.tz)
    return weekly_digest(
        records,
        w,
        now,
        rt.rules,
        rt.calendar,
        rt.tz,
        held=held_ids(engine),
        exempt=active_ids(engine),
    )


def rendered_digest(
    engine: Engine, rt: Runtime, week: str | IsoWeek | None, now: dt.datetime
) -> tuple[Digest, RenderedDigest]:
    from slamon.adapters.render.trend_charts import overview_charts
    from slamon.service.data_quality import week_quality
    from slamon.service.trends import digest_trends

    d = digest(engine, rt, week, now)
    charts = overview_charts(digest_trends(engine, rt, d.week, now))
    return d, render_digest(d, rt.tz, week_quality(engine, rt, now, d), charts)


# -- files -----------------------------------------------------------------------------------
def _atomic_write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def write_report_files(
    report: MonthlyReport, folder: Path, formats: tuple[str, ...] = FILE_FORMATS
) -> list[Path]:
    """``report-YYYY-MM.<ext>`` for each format (adapters/render/formats), written atomically."""
    from slamon.adapters.render.formats import report_format

    base = f"report-{report.figures.month.key}"
    written = []
    for name in formats:
        fmt = report_format(name)
        written.append(_atomic_write(Path(folder) / f"{base}.{fmt.ext}", fmt.render(report, False)))
    return written


def first_working_day(month: Month, rt: Runtime) -> dt.date:
    return rt.calendar.next_working_day(month.first_day)


def write_monthly_reports_if_due(engine: Engine, rt: Runtime, now: dt.datetime) -> list[Path]:
    """From the first working day of a month on (with a 核实 round, from the working day after
    its feedback deadline): the previous month's report files, once."""
    today = now.astimezone(rt.tz).date()
    current = Month.of(today)
    if today < first_working_day(current, rt):
        return []
    target = current.previous()
    key = f"report_written:{target.key}"
    with engine.connect() as conn:
        if runs.get_meta(conn, key) is not None:
            return []
    from slamon.service.feedback_record import final_report_day

    wait = final_report_day(target, rt, engine)  # a 核实 round: after its feedback deadline
    if wait is not None and today < wait:
        return []
    report = monthly_report(engine, rt, target, now=now)
    paths = write_report_files(report, rt.settings.report_dir)
    with engine.begin() as conn:
        if runs.get_meta(conn, key) is None:
            runs.set_meta(conn, key, now.isoformat())
    log.info("report.written month=%s files=%s", target.key, ",".join(p.name for p in paths))
    return paths


# -- the weekly digest -----------------------------------------------------------------------
def digest_due_at(week: IsoWeek, rt: Runtime) -> dt.datetime:
    """When the digest of the week before ``week`` goes out: the configured weekday of ``week``
    at the configured time, moved to the next working day when that day is not one."""
    cfg = rt.settings.digest
    day = rt.calendar.next_working_day(week.day(cfg.weekday))
    return dt.datetime.combine(day, cfg.time, rt.tz)


def queue_digest(engine: Engine, rt: Runtime, week: str | IsoWeek, now: dt.datetime) -> bool:
    """Render the digest of ``week`` and put it in the outbox for the supervisors (key
    ``digest|<YYYY-Www>``). False when it was queued before."""
    from slamon.service.inline_images import keep_images
    from slamon.service.notices import queue_message

    d, mail = rendered_digest(engine, rt, week, now)
    key = f"digest|{d.week.key}"
    queued = queue_message(
        engine,
        rt,
        now,
        key=key,
        kind=DIGEST_KIND,
        recipients=list(rt.settings.supervisors),
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
    )
    if queued:
        keep_images(engine, key, mail.images, mail.week)
    return queued


def queue_weekly_digest_if_due(engine: Engine, rt: Runtime, now: dt.datetime) -> bool:
    """Queue last week's digest once its sending moment has come (default Monday 09:00, or the
    next working day); once per ISO week. True when a digest was queued by this call."""
    if not rt.settings.supervisors:
        return False
    this_week = IsoWeek.of(now.astimezone(rt.tz).date())
    for base in (this_week, this_week.previous()):  # the due day may slip into the next week
        due = digest_due_at(base, rt)
        # late (daemon down at the due moment) is fine within the week; older weeks are not sent
        if not due <= now or IsoWeek.of(due.date()) != this_week:
            continue
        covered = base.previous()
        key = f"digest_queued:{covered.key}"
        with engine.connect() as conn:
            if runs.get_meta(conn, key) is not None:
                return False
        queued = queue_digest(engine, rt, covered, now)
        with engine.begin() as conn:
            if runs.get_meta(conn, key) is None:
                runs.set_meta(conn, key, now.isoformat())
        log.info("digest.queued week=%s new=%s", covered.key, queued)
        return queued
    return False


def write_digest_files(
    engine: Engine, rt: Runtime, week: str | IsoWeek | None, now: dt.datetime, folder: Path
) -> list[Path]:
    d, mail = rendered_digest(engine, rt, week, now)
    base = Path(folder) / f"digest-{d.week.key}"
    return [
        _atomic_write(base.with_suffix(".html"), mail.html_with_data_uris()),
        _atomic_write(base.with_suffix(".txt"), f"主题：{mail.subject}\n\n{mail.text}"),
    ]


def write_demo_reports(
    engine: Engine, rt: Runtime, month: str, out_dir: Path, now: dt.datetime
) -> list[Path]:
    """The demo month's report (text, md, docx) and the digest of the last week before ``now``."""
    report = monthly_report(engine, rt, month, now=now)
    paths = write_report_files(report, Path(out_dir))
    paths += write_digest_files(engine, rt, None, now, Path(out_dir))
    return paths
