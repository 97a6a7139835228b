"""Verdicts that move: after the calendar changed (a year's notice imported, a file edited), the
poll that re-evaluates says which years changed, how many deadlines moved, and which reminder or
overdue mail already went out citing a deadline that is no longer the deadline.

The store keeps one signature per calendar year (meta ``calendar_years``) beside the calendar
fingerprint, so the poll after a change can name the years whose working days changed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import outbox, runs
from slamon.core.calendar import changed_years
from slamon.core.formats import chinese_moment, localize_json
from slamon.core.vocabulary import ESCALATION, MAIL_KIND_NAMES, NOTICE, STAGE_NAMES
from slamon.runtime import Runtime

if TYPE_CHECKING:
    from sqlalchemy import Connection

log = logging.getLogger("slamon.poll")
CALENDAR_YEARS = "calendar_years"  # meta: {year: signature} of the calendar last evaluated
# A reminder goes out a few working days before its deadline; look back well past that.
_LOOK_BACK = dt.timedelta(days=62)
MAX_MOVES_KEPT = 10_000  # moved deadlines listed in a summary (all are counted and logged)
_MAIL_NOTES = 20  # sent mail named one per note line; the JSON lists them all


def _iso(at: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    """A moment in ``tz`` as the store holds it (a 24:00 deadline keeps its last microsecond,
    so it reads back as the end of its day)."""
    return localize_json(at, tz) if at is not None else None


def remember_calendar(conn: Connection, rt: Runtime, *, unless_known: bool = False) -> None:
    """Store the calendar's year signatures (``unless_known``: only when none are stored yet)."""
    if unless_known and runs.get_meta(conn, CALENDAR_YEARS) is not None:
        return
    signatures = rt.calendar.year_signatures()
    runs.set_meta(conn, CALENDAR_YEARS, json.dumps({str(y): s for y, s in signatures.items()}))


def _stored_signatures(conn: Connection) -> dict[int, str] | None:
    raw = runs.get_meta(conn, CALENDAR_YEARS)
    if not raw:
        return None
    try:
        return {int(y): str(s) for y, s in json.loads(raw).items()}
    except (ValueError, AttributeError, TypeError):
        return None


def deadline_update(
    conn: Connection, rt: Runtime, moves: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """What a re-evaluation after a change of calendar or rules moved (``moves`` as
    evaluation.reevaluate_all records them), for the poll's notes and JSON; stores the calendar's
    year signatures for the next change."""
    before = _stored_signatures(conn)
    after = rt.calendar.year_signatures()
    years = changed_years(before, after) if before is not None else []
    remember_calendar(conn, rt)
    tz = rt.tz
    sent = _sent_with_old_deadline(conn, rt, moves)
    log.warning(
        "sla.deadlines_recomputed calendar_years=%s moved=%d sent_with_old_deadline=%s",
        ",".join(map(str, years)) or "-",
        len(moves),
        ",".join(str(m["id"]) for m in sent) or "-",
    )
    return {
        "years": years,
        "changed": len(moves),
        "applications": [
            {
                "application_id": m["application_id"],
                "old_deadline": _iso(m["old_deadline"], tz),
                "new_deadline": _iso(m["new_deadline"], tz),
            }
            for m in moves[:MAX_MOVES_KEPT]
        ],
        "sent_mail": sent,
    }


def _sent_with_old_deadline(
    conn: Connection, rt: Runtime, moves: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Sent reminders and overdue mail (and escalations) whose items cite a moved application's
    old deadline."""
    old = {m["application_id"]: m for m in moves if m["old_deadline"] is not None}
    if not old:
        return []
    since = min(m["old_deadline"] for m in old.values()).astimezone(rt.tz).date() - _LOOK_BACK
    out = []
    for row in outbox.sent_with_items(conn, (NOTICE, ESCALATION), since):
        cited = []
        for item in row["items"]:
            move = old.get(item.get("application_id")) if isinstance(item, dict) else None
            if move is None or not item.get("deadline"):
                continue
            if dt.datetime.fromisoformat(item["deadline"]) != move["old_deadline"]:
                continue
            cited.append(
                {
                    "application_id": move["application_id"],
                    "item_kind": item.get("kind", ""),
                    "old_deadline": _iso(move["old_deadline"], rt.tz),
                    "new_deadline": _iso(move["new_deadline"], rt.tz),
                }
            )
        if cited:
            out.append(
                {
                    "id": row["id"],
                    "kind": row["kind"],
                    "department": row["department"],
                    "working_day": row["working_day"].isoformat(),
                    "sent_at": _iso(row["sent_at"], rt.tz),
                    "subject": row["subject"],
                    "items": cited,
                }
            )
    return out


def update_notes(update: Mapping[str, Any], tz: dt.tzinfo) -> list[str]:
    """The poll's note lines for a deadline update (see :func:`deadline_update`)."""
    years, n = update["years"], update["changed"]
    notes = []
    if years:
        named = "、".join(str(y) for y in years)
        if n:
            notes.append(
                f"因 {named} 年节假日安排更新，{n} 件申请的答复期限改变（slamon status 查看）"
            )
        else:
            notes.append(f"因 {named} 年节假日安排更新重新计算了答复期限，没有申请的期限改变")
    elif n:
        notes.append(f"日历或时限规则已变化：{n} 件申请的答复期限随之改变（slamon status 查看）")
    mail = update["sent_mail"]
    if mail:
        apps = {i["application_id"] for m in mail for i in m["items"]}
        notes.append(
            f"其中 {len(apps)} 件申请已按原期限发出过通知（共 {len(mail)} 封），"
            "收件部门可能需要更正："
        )
        notes.extend(_mail_line(m, tz) for m in mail[:_MAIL_NOTES])
        if len(mail) > _MAIL_NOTES:
            notes.append(f"……另有 {len(mail) - _MAIL_NOTES} 封（poll --json 列出全部）")
    return notes


def _mail_line(mail: Mapping[str, Any], tz: dt.tzinfo) -> str:
    def moment(text: str | None) -> str:
        return chinese_moment(dt.datetime.fromisoformat(text), tz) if text else "无"

    cited = "；".join(
        f"{i['application_id']}（{STAGE_NAMES.get(i['item_kind'], i['item_kind'])}）"
        f"原期限 {moment(i['old_deadline'])}，现为 {moment(i['new_deadline'])}"
        for i in mail["items"]
    )
    kind = MAIL_KIND_NAMES.get(mail["kind"], mail["kind"])
    to = mail["department"] or "督办对象"
    return f"  第 {mail['id']} 号{kind}（{to}，{mail['working_day']}）：{cited}"
