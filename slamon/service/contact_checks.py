"""``check-config`` finding: provider departments without a contact person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from slamon.core.departments import canonical, near_misses
from slamon.core.findings import ERROR, OK, WARN, Finding
from slamon.runtime import Runtime
from slamon.service.recipients import departments_without_contact

ITEM = "联系人"


def known_departments(rt: Runtime) -> tuple[set[str], str | None]:
    """Provider departments from the store's application table and the config's contact keys;
    plus a note when the store could not be read. (Alias targets are not counted: aliases also
    name regions.) A SQLite store that does not exist yet is not opened, nor SQLAlchemy imported,
    so ``check-config`` stays light on a fresh machine."""
    s = rt.settings
    names = {canonical(d, s.aliases) for d in s.contacts}
    prefix = "sqlite:///"
    if s.store_url.startswith(prefix) and not Path(s.store_url[len(prefix) :]).exists():
        return names, None  # no store yet: nothing to read, and a check must not create one
    try:
        from slamon.adapters.store.applications import provider_departments
        from slamon.adapters.store.db import make_engine

        engine = make_engine(s.store_url)
        try:
            with engine.connect() as conn:
                names |= {canonical(d, s.aliases) for d in provider_departments(conn)}
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001 - a check reports, it never raises
        from slamon.adapters import driver_errors

        return names, f"无法读取存储库中的提供部门（{driver_errors.reason(exc)}）"
    return names, None


def check_contacts(rt: Runtime, now: dt.datetime) -> Iterator[Finding]:
    s = rt.settings
    departments, note = known_departments(rt)
    if note:
        yield Finding(WARN, ITEM, note)
    configured = set(s.contacts) | set(s.aliases) | set(s.aliases.values()) | set(s.departments)
    misses = near_misses(departments, configured, s.aliases) if configured else {}
    for name, hint in sorted(misses.items()):
        yield Finding(
            WARN,
            "部门名称",
            f"数据中的“{name}”不在已知部门名单中，疑为“{hint}”：请在平台更正，"
            f"或在 aliases 中配置 {name}: {hint}",
        )
    missing = departments_without_contact(s, departments)
    if not s.supervisors:
        level = ERROR if missing else WARN
        yield Finding(
            level,
            "督办人",
            "未配置 supervisors：督办邮件"
            + ("和无联系人部门的通知无人可收" if missing else "无人可收"),
        )
    if missing:
        shown = "、".join(missing[:30]) + (
            f" 等 {len(missing)} 个部门" if len(missing) > 30 else ""
        )
        yield Finding(
            WARN,
            ITEM,
            f"以下提供部门未配置联系人（contacts），其通知将改发督办人并标注“未配置联系人”：{shown}",
        )
    else:
        yield Finding(OK, ITEM, f"已知的 {len(departments)} 个提供部门均已配置联系人")
