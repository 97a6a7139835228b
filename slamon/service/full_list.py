"""The XLSX a notice or an escalation carries when it lists only its first applications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from slamon.adapters.mail.mailer import Attachment
from slamon.core.notice_policy import attaches_full_list
from slamon.runtime import Runtime


def full_list(rt: Runtime, row: dict[str, Any], items: list[dict[str, Any]]) -> tuple:
    """The XLSX of every application the mail names, when it lists only the first ones."""
    if not attaches_full_list(len(items), rt.settings.notify.max_items_per_mail):
        return ()
    from slamon.adapters.render.xlsx import XLSX_TYPE, notice_items_xlsx_bytes

    department, day = row["department"] or "", row["working_day"]
    day = dt.date.fromisoformat(str(day)[:10])
    data = notice_items_xlsx_bytes(items, department, day)
    return (Attachment(f"{department}-全部申请-{day.isoformat()}.xlsx", XLSX_TYPE, data),)
