"""The dashboard's Jinja2 environment: package templates, autoescape always on, small filters."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.responses import HTMLResponse

from slamon.core.formats import chinese_date, chinese_moment, table_moment
from slamon.core.vocabulary import (
    DECISION_NAMES,
    ISSUE_REASON_NAMES,
    SHARE_TYPE_NAMES,
    STAGE_NAMES,
)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.0f}%"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("slamon.web", "templates"),
        autoescape=True,  # every template, whatever its name: platform text is never markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=_pct,
        cdate=lambda d: chinese_date(d) if d else "—",
        stage=lambda s: STAGE_NAMES.get(s, s),
        share_type=lambda s: SHARE_TYPE_NAMES.get(s, s),
        decision=lambda s: DECISION_NAMES.get(s, s),
        issue=lambda s: ISSUE_REASON_NAMES.get(s, s),
        q=lambda s: quote(str(s), safe=""),
    )
    return env


def page(name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    """Render ``name`` with ``ctx`` (plus the tz-aware ``moment`` and ``due`` from ``ctx['tz']``)."""
    tz = ctx.get("tz")
    ctx.setdefault(
        "moment", lambda at: table_moment(at, tz) if isinstance(at, dt.datetime) else "—"
    )
    # a deadline as the report writes it: 2024年10月10日24时
    ctx.setdefault("due", lambda at: chinese_moment(at, tz) if isinstance(at, dt.datetime) else "—")
    html = environment().get_template(name).render(**ctx)
    return HTMLResponse(html, status_code=status)
