"""The loaded runtime: settings plus the calendar and rules built from them, each built once.

Light on purpose: importing this module pulls in no database, mail or scheduler code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from slamon.adapters.yaml_files import load_all_rules, load_calendar, rule_folders
from slamon.config import Settings
from slamon.core.calendar import WorkCalendar
from slamon.core.notice_policy import SendingWindow
from slamon.core.rules import RuleSet

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class Runtime:
    settings: Settings
    warnings: list[str] = field(default_factory=list)

    @property
    def tz(self) -> dt.tzinfo:
        return self.settings.tz

    @cached_property
    def calendar(self) -> WorkCalendar:
        return load_calendar(self.settings.rules_dir)

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
