"""Checking a holiday notice against itself before anything is made of it.

A notice is refused (:class:`NoticeError` quoting the item) when its own figures disagree: a
"共N天" that is not the number of days of its range; a 上班 day that is not a Saturday or Sunday; a
weekday note that does not match its date; a date both off and a working day (or off in two
items); a title whose year the items, the opening sentence, the signature date or the document
number contradict. One mistyped date in a notice becomes a false accusation of a department, so
the reader believes a notice only when it agrees with itself.
"""

from __future__ import annotations

import datetime as dt

from slamon.core.calendar_notice import Notice, NoticeItem, weekday_name
from slamon.core.errors import NoticeError
from slamon.core.formats import chinese_date

# How far a mistyped title year is looked for (the items' weekdays fit another year).
_YEAR_SHIFTS = (-1, 1, -2, 2, -3, 3)


def check_notice(notice: Notice) -> None:
    """Refuse a notice that disagrees with itself; return quietly when it is consistent."""
    _check_year(notice)
    for item in notice.items:
        if not notice.supplement and item.days_off and item.name is None:
            raise NoticeError("放假日期不在编号条目中，无法确定节日名称", item=item.quote)
        _check_weekday_notes(item)
        _check_workdays(item)
        _check_totals(notice, item)
    _check_overlaps(notice)


def _check_year(notice: Notice) -> None:
    year = notice.year
    if notice.intro_year is not None and notice.intro_year != year:
        raise NoticeError(
            f"标题为 {year} 年，正文「{notice.intro}」为 {notice.intro_year} 年", item=notice.title
        )
    if notice.issued and not year - 1 <= notice.issued.year <= year:
        raise NoticeError(
            f"标题为 {year} 年，与发文日期 {chinese_date(notice.issued)} 不符", item=notice.title
        )
    if notice.number:
        number_year = int(notice.number.split("〔")[1][:4])
        if not year - 1 <= number_year <= year:
            raise NoticeError(f"标题为 {year} 年，与文号 {notice.number} 不符", item=notice.title)
    for item in notice.items:
        for w in item.dates:
            ok = w.day.year == year or (w.day.year == year - 1 and w.day.month == 12)
            if w.explicit_year and not ok:
                raise NoticeError(f"{w.text} 不属于标题所说的 {year} 年", item=item.quote)
    fitting = _year_fitting_the_weekdays(notice)
    if fitting is not None:
        raise NoticeError(
            f"标题为 {year} 年，但各项注明的星期和上班日都符合 {fitting} 年", item=notice.title
        )


def _weekday_misfits(notice: Notice, shift: int) -> int | None:
    """How many weekday notes and 上班 days fail if the undated-year dates were ``shift`` years
    later; None when a date does not exist then (29 February)."""
    misfits = 0
    for item in notice.items:
        work = set(item.workdays)
        for w in item.dates:
            if w.weekday is None and w.day not in work:
                continue
            try:
                day = w.day if w.explicit_year else w.day.replace(year=w.day.year + shift)
            except ValueError:
                return None
            fits = day.weekday() == w.weekday if w.weekday is not None else day.weekday() >= 5
            misfits += not fits
    return misfits


def _year_fitting_the_weekdays(notice: Notice) -> int | None:
    """Another year that every weekday note and 上班 day fits while the title's year fits
    hardly any: the title's year is wrong, not the items."""
    evidence = sum(1 for item in notice.items for w in item.dates if w.weekday is not None) + sum(
        len(item.workdays) for item in notice.items
    )
    misfits = _weekday_misfits(notice, 0)
    if evidence < 3 or misfits is None or misfits * 2 < evidence:
        return None
    for shift in _YEAR_SHIFTS:
        if _weekday_misfits(notice, shift) == 0:
            return notice.year + shift
    return None


def _written(item: NoticeItem, day: dt.date) -> str:
    return next((w.text for w in item.dates if w.day == day), chinese_date(day))


def _check_weekday_notes(item: NoticeItem) -> None:
    for w in item.dates:
        if w.weekday is not None and w.weekday != w.day.weekday():
            raise NoticeError(
                f"{w.text} 注明的星期与日期不符：{chinese_date(w.day)}是{weekday_name(w.day)}",
                item=item.quote,
            )


def _check_workdays(item: NoticeItem) -> None:
    for day in item.workdays:
        if day.weekday() < 5:
            raise NoticeError(
                f"{_written(item, day)} 上班，但{chinese_date(day)}是{weekday_name(day)}，"
                "不是周六或周日",
                item=item.quote,
            )


def _off_block(notice: Notice, day: dt.date) -> list[dt.date]:
    """The run of consecutive non-working days around ``day`` by the notice's own schedule."""
    off, work = set(notice.days_off()), notice.workdays()

    def resting(d: dt.date) -> bool:
        return d in off or (d.weekday() >= 5 and d not in work)

    first = last = day
    while resting(first - dt.timedelta(1)):
        first -= dt.timedelta(1)
    while resting(last + dt.timedelta(1)):
        last += dt.timedelta(1)
    return [first + dt.timedelta(n) for n in range((last - first).days + 1)]


def _check_totals(notice: Notice, item: NoticeItem) -> None:
    for total in item.totals:
        days = sorted(set(total.dates))
        if days and total.joined_weekend and not total.ranged:
            days = _off_block(notice, days[0])
        if len(days) == total.days:
            continue
        if not days:
            raise NoticeError(f"写明共 {total.days} 天，但没有写明放假日期", item=item.quote)
        span = f"{_md(days[0])}至{_md(days[-1])}" if len(days) > 1 else _md(days[0])
        raise NoticeError(f"写明共 {total.days} 天，但{span}共 {len(days)} 天", item=item.quote)


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _check_overlaps(notice: Notice) -> None:
    off: dict[dt.date, NoticeItem] = {}
    for item in notice.items:
        for day in item.days_off:
            if day in off and off[day] is not item:
                raise NoticeError(
                    f"{_written(item, day)} 已在「{off[day].quote}」中列为放假", item=item.quote
                )
            off[day] = item
    for item in notice.items:
        for day in item.workdays:
            if day in off:
                raise NoticeError(f"{_written(item, day)} 既列为放假又列为上班", item=item.quote)
