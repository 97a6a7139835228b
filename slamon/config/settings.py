"""Configuration: read ``config.yaml`` once at start, validate every key, name the bad one.

Secrets never come from the YAML: the SMTP password comes from ``SLAMON_SMTP_PASSWORD`` or a
``password_file``. ``SLAMON_STORE_URL`` overrides ``store.url``. Relative paths are relative to
the config file's folder.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from slamon.config.metrics import MetricsConfig, parse_metrics
from slamon.config.reader import EMAIL, Reader
from slamon.config.sections import (
    FeedbackConfig,
    ReportDocument,
    parse_departments,
    parse_feedback,
    parse_report_document,
)
from slamon.config.source import SourceConfig, parse_source
from slamon.config.web import KNOWN as WEB_KEYS
from slamon.config.web import WebConfig, parse_web
from slamon.core.errors import ConfigError, InputError
from slamon.core.vocabulary import DEFAULT_WORDS, PlatformWords, site_words

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
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)  # the 核实 round
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


def _timezone(root: Reader) -> str:
    """``timezone``: a zone name the time-zone database knows."""
    from slamon.core.times import zone

    timezone = root.text("timezone", Settings.timezone) or Settings.timezone
    try:
        zone(timezone)
    except InputError:
        root.report(root.fail("timezone", "未知时区"))
        return Settings.timezone
    return timezone


def _store_url(root: Reader, base_dir: Path, env: Mapping[str, str]) -> str:
    """``store.url``, overridden by ``SLAMON_STORE_URL``."""
    store = root.section("store", {"url"})
    url = env.get("SLAMON_STORE_URL") or store.text("url", Settings.store_url) or ""
    return _resolve_sqlite(url, base_dir)


def _rules(root: Reader, base_dir: Path) -> tuple[tuple[str, ...], Path | None]:
    """``rules.active`` (one id or a list) and ``rules.dir`` (else ``./rules`` if it exists)."""
    rules = root.section("rules", {"active", "dir"})
    active = rules.data.get("active", list(Settings.active_rules))
    if isinstance(active, str):
        active = [active]
    if not isinstance(active, list) or not active or not all(isinstance(a, str) for a in active):
        rules.report(rules.fail("active", "应为规则编号（rules/ 下的文件名）列表，至少一项"))
        active = list(Settings.active_rules)
    rules_dir = rules.path("dir", Settings.rules_dir, base_dir)
    if rules_dir is None and (base_dir / _SITE_RULES).is_dir():
        rules_dir = base_dir / _SITE_RULES
    return tuple(a.strip() for a in active), rules_dir


def _aliases(root: Reader) -> dict[str, str]:
    """``aliases``: {alias: standard department name}."""
    aliases = root.data.get("aliases") or {}
    if not isinstance(aliases, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in aliases.items()
    ):
        root.report(root.fail("aliases", "应为 {别名: 标准部门名称} 映射"))
        return {}
    return {k.strip(): v.strip() for k, v in aliases.items()}


def _smtp(root: Reader, base_dir: Path) -> SmtpConfig:
    """``smtp``; a ``password`` key is known only to be refused by name."""
    smtp_r = root.section("smtp", _names(SmtpConfig) | {"password"})
    if "password" in smtp_r.data:
        smtp_r.report(
            ConfigError(
                "密码不得写在配置文件中，请用环境变量 SLAMON_SMTP_PASSWORD 或 smtp.password_file",
                key="smtp.password",
            )
        )
    sender = smtp_r.text("sender", SmtpConfig.sender) or ""
    if not EMAIL.match(sender):
        smtp_r.report(smtp_r.fail("sender", "应为邮箱地址"))
        sender = SmtpConfig.sender
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
        smtp_r.report(ConfigError("两者不能同时为 true", key="smtp.ssl / smtp.starttls"))
    return smtp


def _contacts(root: Reader) -> dict[str, tuple[str, ...]]:
    """``contacts``: {department name: [email, ...]}."""
    contacts = root.data.get("contacts") or {}
    if not isinstance(contacts, dict):
        root.report(root.fail("contacts", "应为 {部门名称: [邮箱, ...]} 映射"))
        return {}
    return {str(k).strip(): root.emails(f"contacts.{k}", v) for k, v in contacts.items()}


def _notify(root: Reader, base_dir: Path) -> NotifyConfig:
    """``notify``: the sending window, repeat and escalation counts, the templates folder."""
    notify_r = root.section("notify", _names(NotifyConfig))
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
        notify_r.report(notify_r.fail("window_end", "应晚于 notify.window_start"))
    return notify


def _digest(digest_r: Reader) -> DigestConfig:
    """``digest``: the weekly digest's ISO weekday and time."""
    return DigestConfig(
        weekday=digest_r.integer("weekday", DigestConfig.weekday, 1, 7),
        time=digest_r.hhmm("time", DigestConfig.time),
    )


def _log_format(daemon_r: Reader) -> str:
    """``daemon.log_format``: text or json."""
    log_format = daemon_r.text("log_format", Settings.log_format)
    if log_format is None or log_format not in ("text", "json"):
        daemon_r.report(daemon_r.fail("log_format", "应为 text 或 json"))
        return Settings.log_format
    return log_format


def _report(root: Reader, base_dir: Path) -> tuple[Path, ReportDocument, FeedbackConfig]:
    """``report``: the reports folder, the monthly document's issuer and closing lines, and
    the 核实 round (feedback_working_days, draft_day)."""
    feedback_keys = {"feedback_working_days", "draft_day"}
    report_r = root.section("report", {"dir"} | _names(ReportDocument) | feedback_keys)
    default = Settings.report_dir
    report_dir = report_r.path("dir", default, base_dir) or base_dir / default
    document = report_r.guard(lambda: parse_report_document(report_r), ReportDocument())
    return report_dir, document, parse_feedback(report_r)


def _daemon(root: Reader) -> tuple[int, str]:
    """``daemon``: the lease and the log format."""
    daemon_r = root.section("daemon", {"lease_seconds", "log_format"})
    log_format = _log_format(daemon_r)
    return daemon_r.integer("lease_seconds", Settings.lease_seconds, 5, 3600), log_format


def parse_settings(
    data: Any,
    path: Path | None,
    base_dir: Path,
    env: Mapping[str, str],
    errors: list[ConfigError] | None = None,
) -> Settings:
    """Validate config.yaml's data into Settings; a ConfigError names the first bad key.

    Sections are checked in a fixed order, so with several mistakes the same one is named. With
    an ``errors`` list (``check-config``) nothing is raised: every problem is added to it and the
    bad key (or section) keeps its default.
    """
    root = Reader(data, "", set(ROOT_KEYS.split()), errors)
    g = root.guard
    timezone = _timezone(root)
    store_url = _store_url(root, base_dir, env)
    active_rules, rules_dir = g(lambda: _rules(root, base_dir), (Settings.active_rules, None))
    source_r = root.section("source", _names(SourceConfig))
    source = g(lambda: parse_source(source_r, env, base_dir), SourceConfig())
    aliases = _aliases(root)
    smtp = _smtp(root, base_dir)
    contacts = _contacts(root)
    notify = _notify(root, base_dir)
    digest = _digest(root.section("digest", _names(DigestConfig)))
    report_dir, report_document, feedback = _report(root, base_dir)
    lease_seconds, log_format = _daemon(root)
    return Settings(
        path=path,
        base_dir=base_dir,
        timezone=timezone,
        store_url=store_url,
        rules_dir=rules_dir,
        active_rules=active_rules,
        source=source,
        aliases=aliases,
        words=g(lambda: site_words(root.data.get("vocabulary")), DEFAULT_WORDS),
        smtp=smtp,
        contacts=contacts,
        supervisors=root.emails("supervisors", root.data.get("supervisors")),
        operators=root.emails("operators", root.data.get("operators")),
        notify=notify,
        digest=digest,
        report_dir=report_dir,
        report_document=report_document,
        feedback=feedback,
        departments=g(lambda: parse_departments(root.data.get("departments")), ()),
        lease_seconds=lease_seconds,
        log_format=log_format,
        web=g(lambda: parse_web(root.section("web", WEB_KEYS), base_dir), WebConfig()),
        metrics=g(lambda: parse_metrics(root.section("metrics", {"listen"})), MetricsConfig()),
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
    errors: list[ConfigError] | None = None,
) -> Settings:
    """Find, read and validate the configuration; defaults when there is no file at all. With
    an ``errors`` list, every problem is collected there (see ``parse_settings``)."""
    env = os.environ if env is None else env
    cwd = cwd or Path.cwd()
    path = find_config(explicit, env, cwd)
    if path is None:
        return parse_settings({}, None, cwd, env, errors)
    from slamon.adapters.yaml_files import load_yaml

    data = load_yaml(path, lambda problem: ConfigError(problem, path=path))
    return parse_settings(data, path.resolve(), path.resolve().parent, env, errors)


def configuration_errors(
    explicit: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> list[ConfigError]:
    """Every problem of the configuration's keys at once (``check-config``); empty when it is
    valid. A missing or unreadable file still raises its ConfigError: nothing in it is checked."""
    errors: list[ConfigError] = []
    load_settings(explicit, env, cwd, errors)
    return errors
