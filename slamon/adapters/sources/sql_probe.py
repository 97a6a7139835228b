"""``check-config`` for a sql source: the query's columns, the account's write privileges, the
session's time zone and the platform clock."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from slamon.adapters.sources.sql import QUERY_FAILED, SqlSource
from slamon.adapters.sources.sql_cursor_check import cursor_findings, failed_query_hint
from slamon.core.errors import SourceError
from slamon.core.findings import ERROR, OK, WARN, Finding
from slamon.core.records import FIELDS, REQUIRED, canonical_field
from slamon.core.times import as_aware
from slamon.core.vocabulary import HEADER_ALIASES

if TYPE_CHECKING:
    from slamon.config import SourceConfig

ACCOUNT = "数据源账号"
CLOCK = "数据源时钟"
ZONE = "数据源时区"
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
_MYSQL_WRITE_PRIVILEGES = (
    "ALL PRIVILEGES",
    "ALL",
    "INSERT",
    "UPDATE",
    "DELETE",
    "CREATE",
    "DROP",
    "ALTER",
    "FILE",
    "SUPER",
    "CREATE ROUTINE",
    "ALTER ROUTINE",
)
_GRANT = re.compile(r"^GRANT\s+(.+?)\s+ON\s+(\S+)", re.IGNORECASE)
_PG_ROLE = (
    "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls,"
    " pg_has_role(current_user, 'pg_write_server_files', 'MEMBER'), current_user"
    " FROM pg_roles WHERE rolname = current_user"
)
_PG_WRITABLE = (
    "SELECT n.nspname || '.' || c.relname FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname NOT LIKE 'pg_toast%'"
    " AND (has_table_privilege(c.oid, 'INSERT') OR has_table_privilege(c.oid, 'UPDATE')"
    " OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE'))"
    " ORDER BY 1"
)
_PG_FUNCTIONS = (
    "SELECT DISTINCT p.proname FROM pg_proc p"
    " WHERE p.proname IN ('dblink_exec', 'dblink', 'dblink_connect', 'lo_export')"
    " AND has_function_privilege(p.oid, 'EXECUTE') ORDER BY 1"
)


def _field_label(name: str) -> str:
    chinese = next((k for k, v in HEADER_ALIASES.items() if v == name), None)
    return f"{name}（{chinese}）" if chinese else name


def probe_sql_source(source: SourceConfig, tz: dt.tzinfo | str | None = None) -> Finding:
    """Connect and check that the query's columns name the record's required fields."""
    if not source.url or not source.query:
        return Finding(ERROR, "数据源", "source.kind 为 sql 时必须填写 source.url 和 source.query")
    try:
        src = SqlSource(source.url, source.query, tz=tz, cursor=source.cursor)
        try:
            keys = src.columns()
        finally:
            src.dispose()
    except SourceError as exc:
        return Finding(ERROR, "数据源", str(exc))
    mapped = [f for f in (canonical_field(k) for k in keys) if f is not None]
    missing = [f for f in REQUIRED if f not in mapped]
    if missing:
        names = "、".join(_field_label(f) for f in missing)
        return Finding(ERROR, "数据源", f"{src.masked_url} 的查询结果缺少必填字段：{names}")
    unknown = [k for k in keys if canonical_field(k) is None]
    extra = f"；忽略未识别的列：{'、'.join(unknown)}" if unknown else ""
    fields = [f for f in FIELDS if f in mapped]
    if not src.incremental:
        return Finding(
            WARN,
            "数据源",
            f"{src.masked_url} 可连接，查询映射 {len(fields)} 个字段{extra}；查询未使用 :since，每轮都读取全部记录",
        )
    return Finding(OK, "数据源", f"{src.masked_url} 可连接，查询映射 {len(fields)} 个字段{extra}")


def sql_source_findings(source: SourceConfig, tz: dt.tzinfo, now: dt.datetime) -> Iterator[Finding]:
    """The query probe, then (when it connects) the query read from the beginning against
    ``source.cursor``, the account's privileges and the clock."""
    first = probe_sql_source(source, tz)
    yield first
    if not source.url or not source.query:
        return
    if first.level == ERROR:
        if QUERY_FAILED in first.message:  # it connects: is :since bound in the wrong kind?
            yield from failed_query_hint(source, tz)
        return
    yield from cursor_findings(source, tz)
    src = SqlSource(source.url, source.query, tz=tz)
    try:
        dialect = src.engine().dialect.name
        if dialect not in ("postgresql", "mysql", "mariadb"):
            return
        yield _account_finding(src, dialect)
        yield _clock_finding(src, dialect, tz, now)
        yield _zone_finding(src, dialect, tz, now)
    except SourceError as exc:
        yield Finding(WARN, ACCOUNT, f"无法检查账号权限或平台时钟：{exc}")
    finally:
        src.dispose()


def _listed(items: list[str], limit: int = 3) -> str:
    shown = "、".join(items[:limit])
    return f"{shown} 等 {len(items)} 项" if len(items) > limit else shown


def _account_finding(src: SqlSource, dialect: str) -> Finding:
    problems: list[str] = []
    if dialect == "postgresql":
        _k, roles = src.read(_PG_ROLE)
        superuser, createrole, createdb, bypassrls, write_files, user = roles[0]
        attributes = [
            name
            for name, flag in (
                ("超级用户", superuser),
                ("可创建角色", createrole),
                ("可建库", createdb),
                ("绕过行级安全", bypassrls),
                ("可写服务器文件", write_files),
            )
            if flag
        ]
        if attributes:
            problems.append("角色属性：" + "、".join(attributes))
        tables = [r[0] for r in src.read(_PG_WRITABLE)[1]]
        if tables:
            problems.append(f"可写表 {_listed(tables)}")
        functions = [r[0] for r in src.read(_PG_FUNCTIONS)[1]]
        if functions:
            problems.append(f"可执行 {_listed(functions, 5)}")
    else:
        _k, grants = src.read("SHOW GRANTS")
        user = src.read("SELECT CURRENT_USER()")[1][0][0]
        for (grant,) in grants:
            m = _GRANT.match(str(grant))
            if not m:
                continue
            privileges = [p.strip().upper() for p in m.group(1).split(",")]
            writes = [p for p in privileges if p in _MYSQL_WRITE_PRIVILEGES]
            if writes:
                problems.append(f"{m.group(2)} 上有 {'、'.join(writes)} 权限")
    if problems:
        return Finding(
            WARN,
            ACCOUNT,
            f"账号 {user} 可以写入平台数据库（{'；'.join(problems)}）；slamon 虽以只读会话读取，"
            "仍请改用只读账号（只授予 SELECT，见 README）",
        )
    return Finding(OK, ACCOUNT, f"账号 {user} 只有读取权限")


def _clock_finding(src: SqlSource, dialect: str, tz: dt.tzinfo, now: dt.datetime) -> Finding:
    if dialect == "postgresql":
        row = src.read("SELECT current_setting('TimeZone'), now()")[1][0]
    else:
        row = src.read("SELECT @@session.time_zone, NOW()")[1][0]
    session_zone, platform_now = str(row[0]), _instant(row[1], tz)
    drift = platform_now - now
    shown = platform_now.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    minutes = round(abs(drift.total_seconds()) / 60)
    text = f"会话时区 {session_zone}，平台当前时间 {shown}"
    if abs(drift) > CLOCK_TOLERANCE:
        way = "快" if drift > dt.timedelta(0) else "慢"
        return Finding(
            WARN,
            CLOCK,
            f"{text}，比 slamon 的时钟{way}约 {minutes} 分钟：增量读取可能遗漏或重复记录，"
            "请校准平台或本机时钟（NTP）",
        )
    return Finding(OK, CLOCK, f"{text}，与 slamon 相差 {minutes} 分钟以内")


_SERVER_ZONE = {
    "postgresql": "SELECT current_setting('TimeZone'), EXTRACT(TIMEZONE FROM now())",
    "mysql": "SELECT IF(@@global.time_zone = 'SYSTEM', @@system_time_zone, @@global.time_zone),"
    " TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW())",
}


def _offset(seconds: float) -> str:
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(int(seconds)), 3600)
    return f"UTC{sign}{hours}" + (f":{rest // 60:02d}" if rest else "")


def _zone_finding(src: SqlSource, dialect: str, tz: dt.tzinfo, now: dt.datetime) -> Finding:
    """The server's default time zone against the configured one: slamon reads in the configured
    zone, but a platform program whose sessions keep the server's default writes TIMESTAMP /
    timestamptz values (or now()) in that zone — every time would be read hours off."""
    from sqlalchemy import text

    from slamon.adapters.sources.sql_session import begin_read_only, make_engine

    engine = make_engine(src.url, None, src.connect_timeout)  # the server's own default zone
    try:
        with engine.connect() as conn:
            begin_read_only(conn, None)
            name, seconds = conn.execute(
                text(_SERVER_ZONE.get(dialect, _SERVER_ZONE["mysql"]))
            ).one()
            conn.rollback()
    except Exception as exc:  # noqa: BLE001 - a check that cannot run is reported, not raised
        return Finding(
            WARN, ZONE, f"无法读取平台数据库服务器的默认时区（{exc.__class__.__name__}）"
        )
    finally:
        engine.dispose()
    ours = now.astimezone(tz).utcoffset() or dt.timedelta(0)
    server = dt.timedelta(seconds=float(seconds))
    zone = getattr(tz, "key", str(tz))
    text_ = f"服务器默认时区 {name}（{_offset(server.total_seconds())}），配置的时区 {zone}（{_offset(ours.total_seconds())}）"
    if server == ours:
        return Finding(OK, ZONE, text_ + "，一致")
    hours = abs((ours - server).total_seconds()) / 3600
    return Finding(
        WARN,
        ZONE,
        f"{text_}，不一致：平台程序若按服务器默认时区写入 TIMESTAMP/timestamptz 或用 now() 记时间，"
        f"slamon 读到的时间会相差 {hours:g} 小时（期限随之错位）。请向平台方确认写入时区，"
        "并用一条已知申请的收到时间核对（slamon explain）",
    )


def _instant(value: Any, tz: dt.tzinfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return as_aware(value, tz)
    return as_aware(dt.datetime.fromisoformat(str(value)), tz)
