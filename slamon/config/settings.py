"""Configuration: read ``config.yaml`` once at start, validate every key, name the bad one.

Secrets never come from the YAML: the SMTP password comes from ``SLAMON_SMTP_PASSWORD`` or a
``password_file``. ``SLAMON_STORE_URL`` overrides ``store.url``. Relative paths are relative to
the config file's folder.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from slamon.config.metrics import MetricsConfig, parse_metrics
from slamon.config.sections import ReportDocument, parse_departments, parse_report_document
from slamon.config.source import SourceConfig, parse_source
from slamon.config.web import WebConfig, parse_web
from slamon.core.errors import ConfigError, InputError
from slamon.core.vocabulary import DEFAULT_WORDS, PlatformWords, site_words

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SITE_RULES = "rules"  # the site folder under the config folder: rules, calendar


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "slamon@localhost"
    ssl: bool = False
    starttls: bool = False
    username: str | None = None
    password_file: Path | None = None
    timeout_seconds: int = 30

    def password(self) -> str | None:
        """The password from SLAMON_SMTP_PASSWORD or password_file (never from the YAML)."""
        env = os.environ.get("SLAMON_SMTP_PASSWORD")
        if env:
            return env
        if self.password_file is not None:
            try:
                return self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"无法读取 {self.password_file}（{exc.strerror}）", key="smtp.password_file"
                ) from exc
        return None


@dataclass(frozen=True)
class NotifyConfig:
    window_start: dt.time = dt.time(9, 0)
    window_end: dt.time = dt.time(17, 30)
    repeat_overdue_every: int = 2
    escalate_after: int = 3
    max_attempts: int = 8
    templates_dir: Path | None = None
    max_items_per_mail: int = 50  # applications listed in one mail; the rest are counted


@dataclass(frozen=True)
class DigestConfig:
    weekday: int = 1  # ISO weekday, 1 = Monday
    time: dt.time = dt.time(9, 0)


@dataclass(frozen=True)
class Settings:
    path: Path | None
    base_dir: Path
    timezone: str = "Asia/Shanghai"
    store_url: str = "sqlite:///slamon.db"
    rules_dir: Path | None = None  # the site folder; the shipped rules are package data
    active_rules: tuple[str, ...] = ("guizhou-2023",)
    source: SourceConfig = field(default_factory=SourceConfig)
    aliases: Mapping[str, str] = field(default_factory=dict)
    words: PlatformWords = DEFAULT_WORDS  # vocabulary: the site's platform words over the defaults
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    contacts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    supervisors: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    report_dir: Path = Path("reports")
    report_document: ReportDocument = field(default_factory=ReportDocument)
    departments: tuple[str, ...] = ()  # known department names besides contacts and aliases
    lease_seconds: int = 60
    log_format: str = "text"
    web: WebConfig = field(default_factory=WebConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)

    @property
    def calendar_dir(self) -> Path:
        """Where a site puts a year's calendar file (``<rules.dir>/calendar``)."""
        return (self.rules_dir or self.base_dir / _SITE_RULES) / "calendar"

    @property
    def tz(self) -> dt.tzinfo:
        from slamon.core.times import zone

        return zone(self.timezone)


# The top-level sections of config.yaml.
ROOT_KEYS = (
    "timezone store rules source aliases vocabulary smtp contacts supervisors operators notify "
    "digest report daemon web departments metrics"
)


class _Reader:
    """Typed access to one mapping of the YAML; every error names the full key."""

    def __init__(self, data: Any, prefix: str, known: set[str]) -> None:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError("应为映射", key=prefix or "（根）")
        unknown = set(map(str, data)) - known
        if unknown:
            key = sorted(unknown)[0]
            raise ConfigError("未知配置项", key=f"{prefix + '.' if prefix else ''}{key}")
        self.data, self.prefix = data, prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, message: str) -> ConfigError:
        return ConfigError(message, key=self.key(name), value=self.data.get(name))

    def text(self, name: str, default: str | None) -> str | None:
        v = self.data.get(name, default)
        if v is None:
            return None
        if not isinstance(v, str) or not v.strip():
            raise self.fail(name, "应为非空文本")
        return v.strip()

    def integer(self, name: str, default: int, lo: int, hi: int) -> int:
        v = self.data.get(name, default)
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            raise self.fail(name, f"应为 {lo} 到 {hi} 之间的整数")
        return v

    def boolean(self, name: str, default: bool) -> bool:
        v = self.data.get(name, default)
        if not isinstance(v, bool):
            raise self.fail(name, "应为 true 或 false")
        return v

    def hhmm(self, name: str, default: dt.time) -> dt.time:
        v = self.data.get(name, default.strftime("%H:%M"))
        if not isinstance(v, str) or not _HHMM.match(v):
            raise self.fail(name, "应为 HH:MM 格式的时间")
        return dt.time.fromisoformat(v)

    def emails(self, name: str, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(e, str) and _EMAIL.match(e.strip()) for e in value
        ):
            raise ConfigError("应为邮箱地址列表", key=self.key(name), value=value)
        return tuple(e.strip() for e in value)

    def path(self, name: str, default: str | Path | None, base: Path) -> Path | None:
        v = self.text(name, None if default is None else str(default))
        if v is None:
            return None
        p = Path(v).expanduser()
        return p if p.is_absolute() else base / p


def _resolve_sqlite(url: str, base: Path) -> str:
    """Make a relative SQLite file path relative to the config folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and ":memory:" not in url:
        rel = url[len(prefix) :]
        if rel and not Path(rel).is_absolute():
            return prefix + str((base / rel).resolve())
    return url


def _names(cls: type) -> set[str]:
    """A section's keys: the field names of the dataclass it becomes."""
    return {f.name for f in fields(cls)}


def _section(root: _Reader, name: str, known: set[str]) -> _Reader:
    """The reader of one top-level section; unknown keys are refused here."""
    return _Reader(root.data.get(name), name, known)


def _timezone(root: _Reader) -> str:
    """``timezone``: a zone name the time-zone database knows."""
    from slamon.core.times import zone

    timezone = root.text("timezone", Settings.timezone) or Settings.timezone
    try:
        zone(timezone)
    except InputError:
        raise root.fail("timezone", "未知时区") from None
    return timezone


def _store_url(root: _Reader, base_dir: Path, env: Mapping[str, str]) -> str:
    """``store.url``, overridden by ``SLAMON_STORE_URL``."""
    store = _section(root, "store", {"url"})
    url = env.get("SLAMON_STORE_URL") or store.text("url", Settings.store_url) or ""
    return _resolve_sqlite(url, base_dir)


def _rules(root: _Reader, base_dir: Path) -> tuple[tuple[str, ...], Path | None]:
    """``rules.active`` (one id or a list) and ``rules.dir`` (else ``./rules`` if it exists)."""
    rules = _section(root, "rules", {"active", "dir"})
    active = rules.data.get("active", list(Settings.active_rules))
    if isinstance(active, str):
        active = [active]
    if not isinstance(active, list) or not active or not all(isinstance(a, str) for a in active):
        raise rules.fail("active", "应为规则编号（rules/ 下的文件名）列表，至少一项")
    rules_dir = rules.path("dir", Settings.rules_dir, base_dir)
    if rules_dir is None and (base_dir / _SITE_RULES).is_dir():
        rules_dir = base_dir / _SITE_RULES
    return tuple(a.strip() for a in active), rules_dir


def _aliases(root: _Reader) -> dict[str, str]:
    """``aliases``: {alias: standard department name}."""
    aliases = root.data.get("aliases") or {}
    if not isinstance(aliases, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in aliases.items()
    ):
        raise root.fail("aliases", "应为 {别名: 标准部门名称} 映射")
    return {k.strip(): v.strip() for k, v in aliases.items()}


def _smtp(root: _Reader, base_dir: Path) -> SmtpConfig:
    """``smtp``; a ``password`` key is known only to be refused by name."""
    smtp_r = _section(root, "smtp", _names(SmtpConfig) | {"password"})
    if "password" in smtp_r.data:
        raise ConfigError(
            "密码不得写在配置文件中，请用环境变量 SLAMON_SMTP_PASSWORD 或 smtp.password_file",
            key="smtp.password",
        )
    sender = smtp_r.text("sender", SmtpConfig.sender) or ""
    if not _EMAIL.match(sender):
        raise smtp_r.fail("sender", "应为邮箱地址")
    smtp = SmtpConfig(
        host=smtp_r.text("host", SmtpConfig.host) or "",
        port=smtp_r.integer("port", SmtpConfig.port, 1, 65535),
        sender=sender,
        ssl=smtp_r.boolean("ssl", SmtpConfig.ssl),
        starttls=smtp_r.boolean("starttls", SmtpConfig.starttls),
        username=smtp_r.text("username", SmtpConfig.username),
        password_file=smtp_r.path("password_file", SmtpConfig.password_file, base_dir),
        timeout_seconds=smtp_r.integer("timeout_seconds", SmtpConfig.timeout_seconds, 1, 600),
    )
    if smtp.ssl and smtp.starttls:
        raise ConfigError("两者不能同时为 true", key="smtp.ssl / smtp.starttls")
    return smtp


def _contacts(root: _Reader) -> dict[str, tuple[str, ...]]:
    """``contacts``: {department name: [email, ...]}."""
    contacts = root.data.get("contacts") or {}
    if not isinstance(contacts, dict):
        raise root.fail("contacts", "应为 {部门名称: [邮箱, ...]} 映射")
    return {str(k).strip(): root.emails(f"contacts.{k}", v) for k, v in contacts.items()}


def _notify(root: _Reader, base_dir: Path) -> NotifyConfig:
    """``notify``: the sending window, repeat and escalation counts, the templates folder."""
    notify_r = _section(root, "notify", _names(NotifyConfig))
    d = NotifyConfig
    notify = NotifyConfig(
        window_start=notify_r.hhmm("window_start", d.window_start),
        window_end=notify_r.hhmm("window_end", d.window_end),
        repeat_overdue_every=notify_r.integer(
            "repeat_overdue_every", d.repeat_overdue_every, 1, 30
        ),
        escalate_after=notify_r.integer("escalate_after", d.escalate_after, 1, 60),
        max_attempts=notify_r.integer("max_attempts", d.max_attempts, 1, 100),
        templates_dir=notify_r.path("templates_dir", d.templates_dir, base_dir),
        max_items_per_mail=notify_r.integer("max_items_per_mail", d.max_items_per_mail, 1, 1000),
    )
    if notify.window_end <= notify.window_start:
        raise notify_r.fail("window_end", "应晚于 notify.window_start")
    return notify


def _digest(digest_r: _Reader) -> DigestConfig:
    """``digest``: the weekly digest's ISO weekday and time."""
    return DigestConfig(
        weekday=digest_r.integer("weekday", DigestConfig.weekday, 1, 7),
        time=digest_r.hhmm("time", DigestConfig.time),
    )


def _log_format(daemon_r: _Reader) -> str:
    """``daemon.log_format``: text or json."""
    log_format = daemon_r.text("log_format", Settings.log_format)
    if log_format is None or log_format not in ("text", "json"):
        raise daemon_r.fail("log_format", "应为 text 或 json")
    return log_format


def parse_settings(
    data: Any, path: Path | None, base_dir: Path, env: Mapping[str, str]
) -> Settings:
    """Validate config.yaml's data into Settings; a ConfigError names the first bad key.

    Sections are checked in a fixed order, so with several mistakes the same one is named.
    """
    root = _Reader(data, "", set(ROOT_KEYS.split()))
    timezone = _timezone(root)
    store_url = _store_url(root, base_dir, env)
    active_rules, rules_dir = _rules(root, base_dir)
    source = parse_source(_section(root, "source", _names(SourceConfig)), env, base_dir)
    aliases = _aliases(root)
    smtp = _smtp(root, base_dir)
    contacts = _contacts(root)
    notify = _notify(root, base_dir)
    digest_r = _section(root, "digest", _names(DigestConfig))
    report_r = _section(root, "report", {"dir"} | _names(ReportDocument))
    daemon_r = _section(root, "daemon", {"lease_seconds", "log_format"})
    log_format = _log_format(daemon_r)
    report_dir = Settings.report_dir
    return Settings(
        path=path,
        base_dir=base_dir,
        timezone=timezone,
        store_url=store_url,
        rules_dir=rules_dir,
        active_rules=active_rules,
        source=source,
        aliases=aliases,
        words=site_words(root.data.get("vocabulary")),
        smtp=smtp,
        contacts=contacts,
        supervisors=root.emails("supervisors", root.data.get("supervisors")),
        operators=root.emails("operators", root.data.get("operators")),
        notify=notify,
        digest=_digest(digest_r),
        report_dir=report_r.path("dir", report_dir, base_dir) or base_dir / report_dir,
        report_document=parse_report_document(report_r),
        departments=parse_departments(root.data.get("departments")),
        lease_seconds=daemon_r.integer("lease_seconds", Settings.lease_seconds, 5, 3600),
        log_format=log_format,
        web=parse_web(root.data.get("web"), base_dir),
        metrics=parse_metrics(root.data.get("metrics")),
    )


def find_config(explicit: str | Path | None, env: Mapping[str, str], cwd: Path) -> Path | None:
    """``--config``, then ``$SLAMON_CONFIG``, then ``./config.yaml``; None when none exists."""
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise ConfigError("不存在", path=p)
        return p
    if env.get("SLAMON_CONFIG"):
        p = Path(env["SLAMON_CONFIG"])
        if not p.is_file():
            raise ConfigError("不存在（由环境变量 SLAMON_CONFIG 指定）", path=p)
        return p
    p = cwd / "config.yaml"
    return p if p.is_file() else None


def load_settings(
    explicit: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Find, read and validate the configuration; defaults when there is no file at all."""
    env = os.environ if env is None else env
    cwd = cwd or Path.cwd()
    path = find_config(explicit, env, cwd)
    if path is None:
        return parse_settings({}, None, cwd, env)
    from slamon.adapters.yaml_files import load_yaml

    data = load_yaml(path, lambda problem: ConfigError(problem, path=path))
    return parse_settings(data, path.resolve(), path.resolve().parent, env)
