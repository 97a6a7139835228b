"""``slamon calendar import``: the State Council's holiday notice becomes the year's calendar.

Three steps, each usable alone (the CLI runs them in a row; a web page can preview, show the
changes and apply on confirmation):

- :func:`preview_notice` reads and checks the notice and compares it with the calendar in force;
- :func:`apply_preview` writes the year's file under the site's ``rules/calendar/`` — refusing,
  unless ``replace``, a notice that would change a year already official;
- :func:`import_notice_file` does both for a notice file (``dry_run`` stops after the preview);
- :func:`apply_notice` reads a confirmed text again and writes it, the runtime then using it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from slamon.adapters.calendar_files import read_notice, write_calendar_file
from slamon.adapters.yaml_files import calendar_files
from slamon.core.calendar import YearInfo
from slamon.core.calendar_import import ImportPreview, preview_import
from slamon.core.errors import NoticeError
from slamon.runtime import Runtime

# Dates listed in a refusal before "等"; the JSON preview always has them all.
_LISTED = 12


@dataclass(frozen=True)
class ImportOutcome:
    preview: ImportPreview
    written: Path | None  # None for a dry run


def preview_notice(rt: Runtime, text: str) -> ImportPreview:
    """What importing ``text`` would do to the calendar in force (nothing is written)."""
    folder = rt.settings.calendar_dir
    return preview_import(text, calendar_files(rt.settings.rules_dir), rt.calendar, str(folder))


def replace_refusal(preview: ImportPreview, how: str = "请加 --replace") -> NoticeError:
    """The error for a notice that would change a year already official, without --replace
    (``how``: what the operator does to confirm, on the command line or a page)."""
    dates = tuple(d.isoformat() for d in preview.revised_dates)
    shown = "、".join(dates[:_LISTED]) + ("等" if len(dates) > _LISTED else "")
    return NoticeError(
        f"{preview.year} 年已有官方节假日安排（{preview.before.describe()}），本通知改变其中 "
        f"{len(dates)} 天：{shown}；确认以本通知为准（例如它是后来发布的修订）{how}",
        item=preview.notice.title,
        dates=dates,
    )


def apply_preview(preview: ImportPreview, *, replace: bool = False) -> Path:
    """Write the previewed year's calendar file; returns its path."""
    if preview.needs_replace and not replace:
        raise replace_refusal(preview)
    return write_calendar_file(Path(preview.file.path).parent, preview.file_data)


def import_notice_file(
    rt: Runtime, notice: Path, *, dry_run: bool = False, replace: bool = False
) -> ImportOutcome:
    """Read, check and compare the notice in ``notice``; unless ``dry_run``, write the year."""
    preview = preview_notice(rt, read_notice(notice))
    if dry_run:
        return ImportOutcome(preview, None)
    return ImportOutcome(preview, apply_preview(preview, replace=replace))


def apply_notice(rt: Runtime, text: str, *, replace: bool = False) -> ImportOutcome:
    """Read ``text`` again (as an operator confirmed it after its preview) and write the year;
    ``rt`` then uses the new calendar (a long-running process need not restart)."""
    preview = preview_notice(rt, text)
    written = apply_preview(preview, replace=replace)
    rt.reload_calendar(force=True)
    return ImportOutcome(preview, written)


def calendar_years(rt: Runtime) -> list[YearInfo]:
    """Every year the calendar in force covers, latest first, with where it came from (a file
    written since by ``slamon calendar import`` included)."""
    rt.reload_calendar()
    cal = rt.calendar
    return [cal.year_info(y) for y in range(cal.last_year, cal.first_year - 1, -1)]
