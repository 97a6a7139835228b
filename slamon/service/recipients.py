"""Who receives what: contacts per provider department (through the aliases), supervisors for
escalations and for departments without a contact, operators for source problems. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from slamon.config import Settings
from slamon.core.departments import canonical


@dataclass(frozen=True)
class Recipients:
    addresses: tuple[str, ...]
    unassigned: bool = False  # no contact configured: these are the supervisors instead
    problem: str | None = None  # why nobody can receive it (the row is recorded as failed)


def contact_map(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Contacts keyed by canonical department name (a contact listed under an alias counts)."""
    out: dict[str, tuple[str, ...]] = {}
    for dept, emails in settings.contacts.items():
        key = canonical(dept, settings.aliases)
        out[key] = tuple(dict.fromkeys((*out.get(key, ()), *emails)))
    return out


def for_department(
    settings: Settings, department: str, contacts: Mapping[str, tuple[str, ...]] | None = None
) -> Recipients:
    contacts = contact_map(settings) if contacts is None else contacts
    found = contacts.get(canonical(department, settings.aliases))
    if found:
        return Recipients(found)
    if settings.supervisors:
        return Recipients(settings.supervisors, unassigned=True)
    return Recipients(
        (),
        unassigned=True,
        problem=f"部门“{department}”未配置联系人（contacts），也未配置督办人（supervisors），无人可收",
    )


def for_escalation(settings: Settings) -> Recipients:
    if settings.supervisors:
        return Recipients(settings.supervisors)
    if settings.operators:
        return Recipients(settings.operators)
    return Recipients((), problem="未配置督办人（supervisors），督办邮件无人可收")


def for_operators(settings: Settings) -> Recipients:
    if settings.operators:
        return Recipients(settings.operators)
    if settings.supervisors:
        return Recipients(settings.supervisors)
    return Recipients(
        (), problem="未配置运维人员（operators）或督办人（supervisors），数据源告警无人可收"
    )


def departments_without_contact(settings: Settings, departments: Iterable[str]) -> list[str]:
    contacts = contact_map(settings)
    names = {canonical(d, settings.aliases) for d in departments if d and d.strip()}
    return sorted(d for d in names if not contacts.get(d))


def configured_addresses(settings: Settings) -> set[str]:
    """Every address slamon may send to: the contacts, the supervisors and the operators."""
    contacts = (a for emails in settings.contacts.values() for a in emails)
    return {*contacts, *settings.supervisors, *settings.operators}
