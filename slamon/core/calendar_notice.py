"""Reading the State Council's holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知) as published.

The reader turns the text into a :class:`Notice`: the year (from the title), the document number
and date, and one :class:`NoticeItem` per numbered item with its days off, its makeup working days
(上班), its declared totals (共N天) and every date as written with its weekday note. It only reads;
whether the notice agrees with itself is :mod:`slamon.core.calendar_notice_checks`' question.

Wordings understood (2010 onwards, full- or half-width punctuation): "X月X日至Y日放假调休，共N天",
"X日放假，与周末连休", "X日（星期一）补休", "放假公休", "…上班" lists including the shorthand
"2月20日（星期六）、21日（星期日）上班", weekday notes 星期X / 周X, lunar notes in brackets, dates
with their own year ("2018年12月30日至2019年1月1日"), ranges across months, merged festivals
(中秋节、国庆节). Encouraged rest ("鼓励…安排职工在除夕休息") is no day off, and the day normal
work resumes ("2月3日起正常上班") no makeup day. A supplementary notice (关于调整/延长YYYY年…的通知)
is read the same way; "延长…假期至X月X日" is kept as an extension, resolved against the calendar
it amends (:mod:`slamon.core.calendar_import`).
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from dataclasses import dataclass

from slamon.core.errors import NoticeError
from slamon.core.formats import WEEKDAYS

# Full-width ASCII (！..～: punctuation, digits) and the ideographic space to their half-width forms.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_TITLE = re.compile(r"国务院办公厅关于(\S{0,12}?)(\d{4})年(\S{1,30}?)的通知")
_NUMBER = re.compile(r"(国办发(?:明电)?)[〔\[(【﹝](\d{4})[〕\])】﹞](\d+)号")
_NUMBER_WITHIN = 80  # the document number stands right under the title
_CN_DIGITS = "〇一二三四五六七八九"
_CN_NUMBER = r"[0-9〇零一二三四五六七八九十]{1,4}"
_ISSUED = re.compile(rf"(?:国务院办公厅)?({_CN_NUMBER})年({_CN_NUMBER})月({_CN_NUMBER})日$")
_MARKER = re.compile(r"(?:^|(?<=[。:;]))([一二三四五六七八九十]{1,3})、")
_BRACKET = re.compile(r"\(([^()]*)\)")
_OPEN, _CLOSE = "\ue000", "\ue001"  # a masked bracket note: _OPEN + its index + _CLOSE
_DATE = re.compile(rf"(?:(\d{{4}})年)?(?:(\d{{1,2}})月)?(\d{{1,2}})日(?:{_OPEN}(\d+){_CLOSE})?")
_WEEKDAY = re.compile(r"(?:星期|礼拜|周)([一二三四五六日天])")
_TOTAL = re.compile(r"共(\d+)天")
_RANGE_WORDS = frozenset({"至", "到", "-", "~", "—", "－", "–"})


@dataclass(frozen=True)
class WrittenDate:
    """A date as the notice writes it: the day it means, the text, and its weekday note."""

    day: dt.date
    text: str  # normalised, e.g. "2月20日(星期六)"
    weekday: int | None  # the weekday its note gives (0 = Monday); None without a note
    explicit_year: bool  # written with its year ("2011年12月31日")


@dataclass(frozen=True)
class DeclaredTotal:
    """A "共N天" and the days off of its sentence."""

    days: int
    dates: tuple[dt.date, ...]
    ranged: bool  # the sentence gives a range (X至Y)
    joined_weekend: bool  # the sentence says 与周末连休


@dataclass(frozen=True)
class NoticeItem:
    quote: str  # the item as published, for messages
    name: str | None  # the holiday (中秋节、国庆节); None outside a named item
    days_off: tuple[dt.date, ...]
    workdays: tuple[dt.date, ...]
    totals: tuple[DeclaredTotal, ...]
    dates: tuple[WrittenDate, ...]  # every date written in the item
    extended_to: dt.date | None = None  # "延长…假期至X月X日"


@dataclass(frozen=True)
class Notice:
    title: str
    year: int
    number: str | None  # 国办发明电〔YYYY〕N号, when the text carries it
    issued: dt.date | None  # the date under the signature
    supplement: bool  # 关于调整/延长…的通知: amends the year's schedule instead of replacing it
    intro: str | None  # the sentence "现将YYYY年…通知如下", for the year check
    intro_year: int | None
    items: tuple[NoticeItem, ...]

    def days_off(self) -> dict[dt.date, str]:
        """Every day off the notice names, with its holiday's name (unnamed days under "")."""
        return {d: item.name or "" for item in self.items for d in item.days_off}

    def workdays(self) -> frozenset[dt.date]:
        return frozenset(d for item in self.items for d in item.workdays)


def weekday_name(day: dt.date) -> str:
    return f"星期{WEEKDAYS[day.weekday()]}"


def decode_notice(data: bytes) -> str:
    """The text of a notice file: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NoticeError("无法识别文件的编码（应为 UTF-8 或 GB18030 文本）")


def _compact(text: str) -> str:
    return "".join(text.split())


def _cn_number(text: str) -> int:
    """12, 一二, 二〇一一, 十二, 二十五 as an integer."""
    if text.isdigit() and text.isascii():
        return int(text)
    text = text.replace("零", "〇")
    if "十" not in text:
        return int("".join(str(_CN_DIGITS.index(c)) for c in text))
    tens, _, units = text.partition("十")
    return (_CN_DIGITS.index(tens) if tens else 1) * 10 + (_CN_DIGITS.index(units) if units else 0)


def _issued(lines: list[str]) -> tuple[dt.date | None, list[str]]:
    """The signature date at the end, and the lines before the signature."""
    for back in range(1, min(3, len(lines)) + 1):
        m = _ISSUED.search(lines[-back])
        if not m or (m.start() > 0 and lines[-back][m.start() - 1] != "。"):
            continue
        rest = lines[: len(lines) - back] + ([lines[-back][: m.start()]] if m.start() else [])
        if m.start() == 0 and rest and rest[-1] == "国务院办公厅":
            rest = rest[:-1]
        try:
            return dt.date(*(_cn_number(g) for g in m.groups())), rest
        except (ValueError, IndexError):
            return None, rest
    return None, lines


def _title(lines: list[str]) -> tuple[re.Match[str], list[str]]:
    """The title (possibly over two or three lines) and the lines after it (the rest of the
    title's line first, when the text was pasted without line breaks)."""
    for i in range(len(lines)):
        for k in (1, 2, 3):
            joined = "".join(lines[i : i + k])
            m = _TITLE.search(joined)
            if m:
                rest = joined[m.end() :]
                return m, [*([rest] if rest else []), *lines[i + k :]]
    raise NoticeError("未找到通知标题（国务院办公厅关于YYYY年部分节假日安排的通知）")


def _supplement_name(title: re.Match[str]) -> str | None:
    """For 关于调整2019年劳动节假期安排的通知: 劳动节; None for a full notice."""
    if not re.search("调整|延长|补充|变更", title.group(1) + title.group(3)):
        return None
    name = re.sub(r"(假期|放假)?(调整)?(安排)?$", "", title.group(3))
    return name or "节假日"


def _paragraphs(lines: list[str]) -> list[str]:
    """Lines joined into paragraphs: a line not ending a sentence is a wrapped line."""
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if current and _MARKER.match(line):
            paragraphs.append(current)
            current = ""
        current += line
        if current.endswith(("。", ":", ";")):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def _segments(paragraph: str) -> list[str]:
    """A paragraph cut at each item marker (一、二、…)."""
    starts = [m.start() for m in _MARKER.finditer(paragraph)]
    cuts = [0, *[s for s in starts if s > 0], len(paragraph)]
    return [paragraph[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if paragraph[a:b]]


def parse_notice(text: str) -> Notice:
    """Read a notice as published (title, addressees, items, signature, date)."""
    normalised = text.lstrip("\ufeff").translate(_HALF_WIDTH)
    lines = [_compact(line) for line in normalised.splitlines()]
    lines = [line for line in lines if line]
    title, after = _title(lines)
    year = int(title.group(2))
    number = _NUMBER.search("".join(after[:2])[:_NUMBER_WITHIN])
    issued, before_signature = _issued(after)
    body = [line for line in before_signature if not _NUMBER.fullmatch(line)]
    default_name = _supplement_name(title)
    items: list[NoticeItem] = []
    intro: str | None = None
    intro_year: int | None = None
    for paragraph in _paragraphs(body):
        for segment in _segments(paragraph):
            m = re.search(r"现将(\d{4})年[^。:]*", segment)
            if m and intro is None:
                intro, intro_year = m.group(0), int(m.group(1))
            item = _ItemReader(segment, year, default_name).read()
            if item.dates:
                items.append(item)
    if not any(item.days_off or item.workdays or item.extended_to for item in items):
        raise NoticeError("未找到任何放假或调休上班的日期", item=title.group(0))
    return Notice(
        title=title.group(0),
        year=year,
        number=f"{number[1]}〔{number[2]}〕{number[3]}号" if number else None,
        issued=issued,
        supplement=default_name is not None,
        intro=intro,
        intro_year=intro_year,
        items=tuple(items),
    )


class _ItemReader:
    """Reads one item (一、元旦：…) sentence by sentence, clause by clause.

    A date without a month takes the month and year of the date before it in the item
    ("1月1日至3日", "2月20日（星期六）、21日（星期日）"); a date with a month but no year is in the
    notice's year, except the start of a range ending before it ("12月31日至1月2日").
    """

    def __init__(self, segment: str, year: int, default_name: str | None) -> None:
        self.quote = segment
        self.year = year
        self.name = default_name
        self.body = segment
        named = re.match(r"[一二三四五六七八九十]{1,3}、(?:([^:\d]{1,16}):)?", segment)
        if named:
            self.body = segment[named.end() :]
            if named.group(1):
                self.name = named.group(1)
        self.carry: dt.date | None = None
        self.off: dict[dt.date, None] = {}
        self.work: dict[dt.date, None] = {}
        self.totals: list[DeclaredTotal] = []
        self.written: list[WrittenDate] = []
        self.extended_to: dt.date | None = None

    def read(self) -> NoticeItem:
        for sentence in self.body.split("。"):
            if sentence and "鼓励" not in sentence:
                self._sentence(sentence)
        return NoticeItem(
            quote=self.quote,
            name=self.name,
            days_off=tuple(self.off),
            workdays=tuple(self.work),
            totals=tuple(self.totals),
            dates=tuple(self.written),
            extended_to=self.extended_to,
        )

    def _sentence(self, sentence: str) -> None:
        notes: list[str] = []

        def mask(m: re.Match[str]) -> str:
            notes.append(m.group(1))
            return f"{_OPEN}{len(notes) - 1}{_CLOSE}"

        masked = _BRACKET.sub(mask, sentence)
        sentence_off: list[dt.date] = []
        ranged = False
        pending: list[tuple[list[dt.date], bool]] = []  # dates waiting for their verb
        for clause in re.split(r"[,;:]", masked):
            groups = self._dates(clause, notes)
            kind = _clause_kind(clause)
            if kind is None:
                pending.extend(groups)
            else:
                groups, pending = groups or pending, []
                dates = [d for group, _ in groups for d in group]
                if kind == "off":
                    sentence_off.extend(dates)
                    ranged = ranged or any(is_range for _, is_range in groups)
                    self.off.update(dict.fromkeys(dates))
                elif kind == "work":
                    self.work.update(dict.fromkeys(dates))
                elif kind == "extend" and dates:
                    self.extended_to = dates[-1]
            total = _TOTAL.search(clause)
            if total:
                joined = "连休" in masked
                self.totals.append(
                    DeclaredTotal(int(total.group(1)), tuple(sentence_off), ranged, joined)
                )

    def _dates(self, clause: str, notes: list[str]) -> list[tuple[list[dt.date], bool]]:
        """The dates of a clause, a range X至Y expanded: (dates, is_range) in order."""
        tokens = list(_DATE.finditer(clause))
        days = [self._resolve(t, notes) for t in tokens]
        groups: list[tuple[list[dt.date], bool]] = []
        i = 0
        while i < len(tokens):
            if i + 1 < len(tokens) and clause[tokens[i].end() : tokens[i + 1].start()] in (
                _RANGE_WORDS
            ):
                start, end = days[i], days[i + 1]
                if end < start and not tokens[i].group(1):
                    start = start.replace(year=start.year - 1)
                if end < start:
                    raise NoticeError(f"日期范围 {tokens[i].group(0)}至… 起止颠倒", item=self.quote)
                groups.append(
                    ([start + dt.timedelta(n) for n in range((end - start).days + 1)], True)
                )
                i += 2
            else:
                groups.append(([days[i]], False))
                i += 1
        return groups

    def _resolve(self, token: re.Match[str], notes: list[str]) -> dt.date:
        year_text, month_text, day_text, note_index = token.groups()
        note = notes[int(note_index)] if note_index is not None else ""
        shown = token.group(0).split(_OPEN)[0] + (f"({note})" if note_index is not None else "")
        if month_text is None and self.carry is None:
            raise NoticeError(f"{shown} 没有写明月份", item=self.quote)
        year = int(year_text) if year_text else self.year
        if month_text is None and self.carry is not None:
            year, month = (int(year_text) if year_text else self.carry.year), self.carry.month
        else:
            month = int(month_text)
        try:
            day = dt.date(year, month, int(day_text))
        except ValueError:
            raise NoticeError(f"{shown} 不是有效日期", item=self.quote) from None
        weekday = _WEEKDAY.search(note)
        self.written.append(
            WrittenDate(
                day,
                shown,
                WEEKDAYS.index(weekday.group(1).replace("天", "日")) if weekday else None,
                bool(year_text),
            )
        )
        self.carry = day
        return day


def _clause_kind(clause: str) -> str | None:
    """What a clause says of its dates: off, work, extend, none (named only), or None (nothing)."""
    plain = re.sub(f"{_OPEN}\\d+{_CLOSE}", "", clause)
    if "正常上班" in plain or "起上班" in plain:
        return "none"
    if "上班" in plain:
        return "work"
    if "放假" in plain or "补休" in plain:
        return "off"
    if "延长" in plain and "至" in plain:
        return "extend"
    return None
