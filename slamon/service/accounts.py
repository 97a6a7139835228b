"""Department accounts: which departments a dashboard user of role ``department`` speaks for,
and what it may see — the applications whose provider is one of them, nothing else."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from slamon.core.departments import canonical, suggestion
from slamon.core.errors import InputError
from slamon.runtime import Runtime

if TYPE_CHECKING:
    from slamon.service.overview import Overview


def can_see(rt: Runtime, departments: Collection[str], provider: str | None) -> bool:
    """Whether a user of ``departments`` (canonical names) may see an application of
    ``provider`` — also when the name in the store predates an alias configured since."""
    if not provider:
        return False
    return provider in departments or canonical(provider, rt.settings.aliases) in departments


def known_names(rt: Runtime) -> tuple[set[str], str | None]:
    """Every department name a user may be given: the store's providers and the configured
    names (contacts, aliases, ``departments:``), canonical; and a note when the store could
    not be read."""
    from slamon.service.contact_checks import known_departments as in_store
    from slamon.service.data_quality import known_departments as configured

    aliases = rt.settings.aliases
    names, note = in_store(rt)
    names |= {canonical(n, aliases) for n in configured(rt)}
    return names, note


def resolve_departments(rt: Runtime, names: Iterable[str]) -> tuple[str, ...]:
    """The canonical names of ``names`` (an alias becomes its department), each one known in
    the data or the config; InputError naming the first unknown one (with the name it was
    probably meant to be)."""
    aliases = rt.settings.aliases
    wanted = list(dict.fromkeys(canonical(n, aliases) for n in names if n and n.strip()))
    if not wanted:
        raise InputError("部门账号至少要指定一个部门（--department）")
    known, note = known_names(rt)
    for name in wanted:
        if name in known:
            continue
        hint = suggestion(name, known)
        text = f"部门“{name}”不在数据和配置中"
        text += f"，可能是“{hint}”" if hint else "：请使用数据中的提供部门名称或已配置的别名"
        if note:
            text += f"（{note}）"
        raise InputError(text, value=name)
    return tuple(wanted)


def scope_overview(rt: Runtime, o: Overview, departments: Collection[str], search: str) -> Overview:
    """The 总览 as a department user sees it: its own departments' rows only (a row of zeros
    for one with nothing to show, unless a search is given), province-wide counts left out."""
    from slamon.service.overview import DeptRow

    rows = [r for r in o.rows if can_see(rt, departments, r.department)]
    if not search:
        present = {r.department for r in rows}
        rows += [
            DeptRow(d, has_contacts=bool(rt.settings.contacts.get(d)))
            for d in departments
            if d not in present
        ]
    return dataclasses.replace(o, rows=rows, rejected_rows=0, data_issues=0, exempted=0)
