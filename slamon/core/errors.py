"""Typed errors that carry their data. The library raises these; only the CLI (and the web) turn
them into the one-line Chinese sentence a user reads, with ``str(error)``.

Each error keeps what went wrong as attributes (the config key and its value, the rule file, rule
and field, the calendar file and field, ...) so callers and tests can look at the data; the
sentence is made from those attributes when it is read.
"""

from __future__ import annotations

from typing import Any

_UNSET: Any = object()


class SlamonError(Exception):
    """Base class of every error slamon reports to a user. ``problem`` is the Chinese phrase
    saying what is wrong; subclasses add where it is wrong."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem

    def sentence(self) -> str:
        return self.problem

    def __str__(self) -> str:
        return self.sentence()


class InputError(SlamonError):
    """A value given on the command line or in a record cannot be used."""

    def __init__(self, problem: str, *, value: Any = _UNSET) -> None:
        super().__init__(problem)
        self.value = None if value is _UNSET else value


class ConfigError(SlamonError):
    """The configuration file is missing, malformed or names a bad value."""

    def __init__(
        self,
        problem: str,
        *,
        key: str | None = None,
        value: Any = _UNSET,
        path: object | None = None,
    ) -> None:
        super().__init__(problem)
        self.key, self.path = key, path
        self.has_value = value is not _UNSET
        self.value = value if self.has_value else None

    def sentence(self) -> str:
        if self.key is not None:
            shown = f"，当前值 {self.value!r}" if self.has_value else ""
            return f"配置项 {self.key}：{self.problem}{shown}"
        if self.path is not None:
            return f"配置文件 {self.path}：{self.problem}"
        return self.problem


class RuleError(SlamonError):
    """A rule file is malformed, or a rule id is unknown."""

    def __init__(
        self,
        problem: str,
        *,
        path: object | None = None,
        rule: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(problem)
        self.path, self.rule, self.field = path, rule, field

    def sentence(self) -> str:
        where = ""
        if self.path is not None:
            where = f"规则文件 {self.path}" + (f"（规则 {self.rule}）" if self.rule else "")
        elif self.rule is not None:
            where = f"规则 {self.rule}"
        if self.field is not None:
            where += f" 字段 {self.field}"
        return f"{where}：{self.problem}" if where else self.problem


class CalendarError(SlamonError):
    """A calendar file is malformed, or a date lies outside the supported range."""

    def __init__(
        self, problem: str, *, path: object | None = None, field: str | None = None
    ) -> None:
        super().__init__(problem)
        self.path, self.field = path, field

    def sentence(self) -> str:
        if self.path is None:
            return self.problem
        where = f"日历文件 {self.path}" + (f" 字段 {self.field}" if self.field else "")
        return f"{where}：{self.problem}"


class NoticeError(CalendarError):
    """A State Council holiday notice cannot be imported: unreadable, inconsistent with itself,
    or differing from a year already official. ``item`` quotes the part of the notice concerned;
    ``dates`` are the dates at issue (ISO text), when there are any."""

    def __init__(
        self, problem: str, *, item: str | None = None, dates: tuple[str, ...] = ()
    ) -> None:
        super().__init__(problem)
        self.item, self.dates = item, dates

    def sentence(self) -> str:
        return f"通知「{self.item}」：{self.problem}" if self.item else f"通知：{self.problem}"


class StoreError(SlamonError):
    """The store cannot be opened or has a schema this code does not know."""


class StoreSchemaError(StoreError):
    """The store's schema revision is not the one this code needs. ``found`` is the store's
    revision (None: made before versioned migrations), ``needed`` the code's; ``newer`` when the
    store was made by a later slamon (then only upgrading the program helps)."""

    def __init__(self, found: str | None, needed: str, *, newer: bool) -> None:
        super().__init__("存储库结构版本与程序不符")
        self.found, self.needed, self.newer = found, needed, newer

    def sentence(self) -> str:
        if self.newer:
            return f"存储库由更新版本的 slamon 创建（{self.found}），请升级程序"
        found = self.found or "迁移前（slamon 0.1.0 及更早）"
        return f"存储库结构版本为 {found}，程序需要 {self.needed}：请先运行 slamon store upgrade"


class SourceError(SlamonError):
    """A source of application records failed."""


class MailError(SlamonError):
    """The mail configuration or the SMTP server refused to work."""


class FontError(SlamonError):
    """No font with Chinese glyphs was found, so a chart cannot be drawn. ``package``: the OS
    package that provides one; ``searched``: where it was looked for."""

    def __init__(self, package: str, searched: tuple[str, ...] = ()) -> None:
        super().__init__(f"找不到中文字体，无法绘制图表：请安装字体包（apt-get install {package}）")
        self.package, self.searched = package, searched
