"""The trend charts people see (dashboard, weekly digest, monthly DOCX), each with its numbers
as a table and an alt text: the picture for the eye, the table for a screen reader and for a
mail client that blocks images. Plain data in (core/trends), PNG bytes out (render/charts)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slamon.core.errors import FontError
from slamon.core.trends import PROVINCE, DeptMonth, Trends


@dataclass(frozen=True)
class Chart:
    key: str  # ontime / backlog / dept-ontime: file names, Content-IDs, element ids
    title: str
    alt: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    png: bytes  # b"" when it could not be drawn (``problem`` says why): the table still shows
    problem: str | None = None

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def filename(self) -> str:
        return f"{self.key}.png"


def pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _rate_words(label: str, months: Sequence[str], rates: Sequence[float | None]) -> str:
    known = [(m, r) for m, r in zip(months, rates, strict=True) if r is not None]
    if not known:
        return f"{label}：各月均无答复"
    first, last = known[0], known[-1]
    if first == last:
        return f"{label}：{first[0]} {pct(first[1])}"
    return f"{label}：{first[0]} {pct(first[1])}，{last[0]} {pct(last[1])}"


def ontime_chart(t: Trends) -> Chart:
    """The province's on-time rate of answers, month by month."""
    from slamon.adapters.render.charts import Series, line_chart

    labels = [m.month.key for m in t.months]
    rates = [m.province.on_time_rate for m in t.months]
    title = f"全省按时答复率（近{len(labels)}个月）"
    rows = tuple(
        (m.month.key, str(m.province.answered), str(m.province.on_time), pct(r))
        for m, r in zip(t.months, rates, strict=True)
    )
    return Chart(
        "ontime",
        title,
        f"折线图，{title}。{_rate_words('全省', labels, rates)}。具体数字见图下表格。",
        ("月份", "答复", "按时", "按时答复率"),
        rows,
        *_draw(lambda: line_chart(title, labels, [Series(PROVINCE, tuple(rates))])),
    )


def backlog_chart(t: Trends) -> Chart:
    """Open and overdue applications at the end of each ISO week."""
    from slamon.adapters.render.charts import Series, bar_chart

    labels = [w.week.key for w in t.weeks]
    title = f"未办结与超期申请（近{len(labels)}周，每周末）"
    last = t.weeks[-1] if t.weeks else None
    words = (
        f"最近一周（{last.week.key}）未办结{last.open}件，其中超期{last.overdue}件"
        if last
        else "无数据"
    )
    return Chart(
        "backlog",
        title,
        f"柱状图，{title}。{words}。具体数字见图下表格。",
        ("周次", "未办结", "其中超期"),
        tuple((w.week.key, str(w.open), str(w.overdue)) for w in t.weeks),
        *_draw(
            lambda: bar_chart(
                title,
                [k.split("-")[1] for k in labels],
                [
                    Series("未办结", tuple(float(w.open) for w in t.weeks)),
                    Series("其中超期", tuple(float(w.overdue) for w in t.weeks)),
                ],
            )
        ),
    )


def department_chart(t: Trends, department: str) -> Chart:
    """One department's on-time rate against the province's, month by month."""
    from slamon.adapters.render.charts import Series, line_chart

    labels = [m.month.key for m in t.months]
    own: list[DeptMonth] = [m.dept(department) for m in t.months]
    rates = [d.on_time_rate for d in own]
    province = [m.province.on_time_rate for m in t.months]
    title = f"按时答复率：本部门与全省（近{len(labels)}个月）"
    rows = tuple(
        (
            m.month.key,
            str(d.answered),
            str(d.late),
            pct(d.on_time_rate),
            pct(p),
            str(d.open_overdue),
        )
        for m, d, p in zip(t.months, own, province, strict=True)
    )
    return Chart(
        "dept-ontime",
        title,
        f"折线图，{title}。{_rate_words(department, labels, rates)}；"
        f"{_rate_words(PROVINCE, labels, province)}。具体数字见图下表格。",
        ("月份", "答复", "超期答复", "本部门按时率", "全省按时率", "月末超期未答复"),
        rows,
        *_draw(
            lambda: line_chart(
                title, labels, [Series(department, tuple(rates)), Series(PROVINCE, tuple(province))]
            )
        ),
    )


def _draw(make: Callable[[], bytes]) -> tuple[bytes, str | None]:
    """The picture, or none and why (no font with Chinese glyphs: the table still shows)."""
    try:
        return make(), None
    except FontError as exc:
        return b"", str(exc)


def overview_charts(t: Trends) -> list[Chart]:
    return [ontime_chart(t), *([backlog_chart(t)] if t.weeks else [])]
