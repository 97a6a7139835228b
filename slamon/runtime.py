"""The loaded runtime: settings plus the calendar and rules built from them, each built once.

Light on purpose: importing this module pulls in no database, mail or scheduler code.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slamon.adapters.yaml_files import load_all_rules, load_calendar, rule_folders
from slamon.config import Settings
from slamon.core.calendar import WorkCalendar
from slamon.core.errors import CalendarError
from slamon.core.notice_policy import SendingWindow
from slamon.core.rules import RuleSet

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("slamon.runtime")


@dataclass
class Runtime:
    settings: Settings
    warnings: list[str] = field(default_factory=list)
    _calendar_stamp: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @property
    def tz(self) -> dt.tzinfo:
        return self.settings.tz

    @cached_property
    def calendar(self) -> WorkCalendar:
        self._calendar_stamp = self._stamp()
        return load_calendar(self._calendar_root())

    def _calendar_root(self) -> Path | None:
        """The site rules folder, or the folder ``calendar import`` made for want of one."""
        s = self.settings
        return s.rules_dir or (s.calendar_dir.parent if s.calendar_dir.is_dir() else None)

    def _stamp(self) -> tuple[Any, ...]:
        from slamon.adapters.calendar_files import calendar_stamp

        return calendar_stamp(self.settings.calendar_dir)

    def reload_calendar(self, *, force: bool = False) -> bool:
        """Rebuild the calendar (and the sending window built on it) when a file under the site's
        rules/calendar/ was written, edited or removed since it was built — a long-running
        process (the daemon, the web dashboard) picks up ``slamon calendar import`` this way.
        Cheap when nothing changed: one directory listing. A file that no longer loads is logged
        and the calendar in force kept. True when the calendar was rebuilt."""
        if "calendar" not in self.__dict__:
            return False  # not built yet: the first use builds it from the files as they are
        stamp = self._stamp()
        if not force and stamp == self._calendar_stamp:
            return False
        try:
            fresh = load_calendar(self._calendar_root())
        except CalendarError as exc:
            log.error("calendar.reload_failed error=%s", exc)
            return False
        self.__dict__["calendar"], self._calendar_stamp = fresh, stamp
        self.__dict__.pop("window", None)
        log.info("calendar.reloaded folder=%s", self.settings.calendar_dir)
        return True

    @cached_property
    def rules(self) -> RuleSet:
        return RuleSet(
            load_all_rules(rule_folders(self.settings.rules_dir)), self.settings.active_rules
        )

    @cached_property
    def engine(self) -> Engine:
        """The store, opened (and its schema checked) on first use."""
        from slamon.adapters.store.db import open_store

        return open_store(self.settings.store_url)

    @cached_property
    def window(self) -> SendingWindow:
        """When mail may leave (and what counts as office hours): notify.window_start–window_end
        on working days."""
        n = self.settings.notify
        return SendingWindow(self.calendar, self.tz, n.window_start, n.window_end)

    def fingerprint(self) -> str:
        """Changes whenever the calendar or the active rules change what a deadline is."""
        import hashlib

        h = hashlib.sha256()
        for line in (*self.calendar.fingerprint_items(), *self.rules.fingerprint_items()):
            h.update(line.encode("utf-8"))
            h.update(b"\n")
        return h.hexdigest()[:16]

    def unofficial_warning(self, first: dt.date, last: dt.date) -> str | None:
        """The warning to print when [first, last] touches a year without an official schedule."""
        years = [y for y in range(first.year, last.year + 1) if not self.calendar.is_official(y)]
        if not years:
            return None
        names = "、".join(str(y) for y in years)
        return (
            f"警告：{names} 年没有官方节假日安排，相关期限仅按周末和法定节日推算，可能与实际不符；"
            f"国务院办公厅通知发布后请录入 {self.settings.calendar_dir}/<年份>.yaml"
        )
