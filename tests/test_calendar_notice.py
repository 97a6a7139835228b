"""Reading and checking the State Council's holiday notice (slamon.core.calendar_notice, _checks).

The notices in tests/data/calendar-notices/ are the published texts of nine years; expected.json is
what each says, read by hand (see its README). The generated notices of the property tests are
FICTITIOUS: consistent with themselves, not the schedule of any real year.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slamon.core.calendar_notice import decode_notice, parse_notice
from slamon.core.calendar_notice_checks import check_notice
from slamon.core.errors import NoticeError

NOTICES = Path(__file__).resolve().parent / "data" / "calendar-notices"
EXPECTED = json.loads((NOTICES / "expected.json").read_text(encoding="utf-8"))
YEARS = sorted(EXPECTED)


def notice_text(year: str | int) -> str:
    return (NOTICES / f"{year}.txt").read_text(encoding="utf-8")


def read(text: str):
    notice = parse_notice(text)
    check_notice(notice)
    return notice


def iso(days) -> list[str]:
    return sorted(d.isoformat() for d in days)


FULL_WIDTH = str.maketrans({",": "，", ":": "：", "(": "（", ")": "）", ";": "；"})
FULL_WIDTH_DIGITS = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)})


# -- the nine published notices --------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_each_notice_reads_to_the_days_it_names(year):
    notice = read(notice_text(year))
    expected = EXPECTED[year]
    assert notice.year == int(year)
    assert iso(notice.days_off()) == expected["holidays"]
    assert iso(notice.workdays()) == expected["makeup_workdays"]
    assert notice.issued == dt.date.fromisoformat(expected["issue_date"])
    in_text = expected["document_number"] in notice_text(year)
    assert notice.number == (expected["document_number"] if in_text else None)
    assert notice.supplement is False


def test_names_merged_festivals_and_encouraged_rest():
    notice = read(notice_text(2012))
    assert notice.days_off()[dt.date(2012, 10, 1)] == "中秋节、国庆节"
    assert notice.days_off()[dt.date(2012, 1, 2)] == "元旦"
    assert dt.date(2011, 12, 31) in notice.workdays()  # "2011年12月31日(星期六)上班"
    # 2024: "鼓励…安排职工在除夕(2月9日)休息" is no day off.
    assert dt.date(2024, 2, 9) not in read(notice_text(2024)).days_off()
    # 2016: "5月1日放假,5月2日(星期一)补休"; "1月1日放假,与周末连休" names the one day.
    days = read(notice_text(2016)).days_off()
    assert days[dt.date(2016, 5, 2)] == "劳动节"
    assert [d for d in days if d.month == 1] == [dt.date(2016, 1, 1)]


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda t: t.translate(FULL_WIDTH), id="full-width punctuation"),
        pytest.param(
            lambda t: t.translate(FULL_WIDTH).translate(FULL_WIDTH_DIGITS), id="full-width digits"
        ),
        pytest.param(lambda t: t.replace("\n", "\r\n"), id="CRLF"),
        pytest.param(lambda t: "\ufeff" + t.replace("\n", "\n\n  "), id="BOM, blank lines"),
        pytest.param(lambda t: t.replace("\n", ""), id="pasted as one line"),
        pytest.param(lambda t: t.replace("放假调休,", "放假调\n休,"), id="wrapped lines"),
    ],
)
@pytest.mark.parametrize("year", ["2012", "2026"])
def test_punctuation_width_and_layout_do_not_matter(year, variant):
    plain = read(notice_text(year))
    varied = read(variant(notice_text(year)))
    assert varied.days_off() == plain.days_off()
    assert varied.workdays() == plain.workdays()
    assert (varied.year, varied.number, varied.issued) == (plain.year, plain.number, plain.issued)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_decoding(encoding):
    text = notice_text(2026).translate(FULL_WIDTH)
    assert decode_notice(text.encode(encoding)) == text


def test_undecodable_bytes_are_refused():
    with pytest.raises(NoticeError, match="编码"):
        decode_notice("国务院".encode("gb18030") + b"\x81\x30\xff\xff")


# -- refusals ----------------------------------------------------------------------------------

TAMPERED = {
    # case: (year, original, tampered, words in the message, words of the quoted item)
    "wrong total": ("2024", "共8天", "共7天", "共 7 天", "二、春节"),
    "makeup on a weekday": ("2011", "4月2日(星期六)上班", "4月1日上班", "不是周六或周日", "清明节"),
    "weekday note": ("2026", "1月4日(周日)上班", "1月4日(周一)上班", "星期日", "一、元旦"),
    "lunar note with weekday": (
        "2026",
        "23日(农历正月初七、周一)",
        "23日(农历正月初七、周二)",
        "注明的星期与日期不符",
        "二、春节",
    ),
    "off and working": (
        "2016",
        "2月6日(星期六)、2月14日(星期日)上班",
        "2月6日(星期六)、2月13日(星期六)上班",
        "既列为放假又列为上班",
        "二、春节",
    ),
    "title year": (
        "2026",
        "关于2026年部分",
        "关于2027年部分",
        "标题为 2027 年",
        "国务院办公厅关于2027年部分节假日安排的通知",
    ),
    "explicit year": (
        "2021",
        "2021年1月1日至3日",
        "2020年1月1日至3日",
        "不属于标题所说的 2021 年",
        "一、元旦",
    ),
    "invalid date": ("2017", "1月27日至2月2日", "1月27日至2月30日", "不是有效日期", "春节"),
}


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_a_tampered_notice_is_refused_naming_the_item(case):
    year, original, tampered, words, item = TAMPERED[case]
    text = notice_text(year)
    assert original in text
    with pytest.raises(NoticeError) as info:
        read(text.replace(original, tampered, 1))
    message = str(info.value)
    assert words in message
    assert item in (info.value.item or "")
    assert message.startswith("通知「") and "\n" not in message


def test_a_wrong_title_year_throughout_is_named_by_the_weekdays():
    # Title and opening sentence both say 2027, the items' weekdays are 2026's.
    text = notice_text(2026).replace("2026年", "2027年").replace("〔2025〕", "〔2026〕")
    with pytest.raises(NoticeError, match="都符合 2026 年") as info:
        read(text.replace("2025年11月4日", "2026年11月4日"))
    assert info.value.item == "国务院办公厅关于2027年部分节假日安排的通知"


def test_a_single_wrong_weekday_is_not_blamed_on_the_title():
    text = notice_text(2026).replace("10月10日(周六)", "10月10日(周日)")
    with pytest.raises(NoticeError, match="10月10日\\(周日\\) 注明的星期与日期不符"):
        read(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("各省、自治区:\n一、元旦:1月1日放假。", "未找到通知标题"),
        ("国务院办公厅关于2031年部分节假日安排的通知\n节假日期间……", "未找到任何放假"),
        (
            "国务院办公厅关于2031年部分节假日安排的通知\n一、元旦:1月1日放假,共3天。\n"
            "国务院办公厅\n2030年11月1日",
            "写明共 3 天，但1月1日共 1 天",
        ),
    ],
)
def test_unreadable_notices_are_refused(text, words):
    with pytest.raises(NoticeError, match=re.escape(words)):
        read(text)


def test_joined_weekend_total_counts_the_block():
    # "与周末连休，共3天": Friday 2031-01-03 (FICTITIOUS) with the weekend after it.
    text = (
        "国务院办公厅关于2031年部分节假日安排的通知\n"
        "一、元旦:1月3日(星期五)放假,与周末连休,共3天。\n国务院办公厅\n2030年11月1日"
    )
    assert iso(read(text).days_off()) == ["2031-01-03"]
    with pytest.raises(NoticeError, match="共 4 天"):
        read(text.replace("共3天", "共4天"))


# -- generated consistent notices (FICTITIOUS years 2030-2095) ---------------------------------

_NAMES = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节、国庆节", "测试节")
_NUMERALS = "一二三四五六七"
_WEEKDAY_STYLES = (None, "星期", "周")


def _written(day: dt.date, previous: dt.date | None, style: str | None, explicit: bool) -> str:
    if explicit:
        text = f"{day.year}年{day.month}月{day.day}日"
    elif previous is not None and previous.month == day.month and previous.year == day.year:
        text = f"{day.day}日"
    else:
        text = f"{day.month}月{day.day}日"
    if style:
        text += f"({style}{'一二三四五六日'[day.weekday()]})"
    return text


@st.composite
def notices(draw):
    year = draw(st.integers(2030, 2095))
    count = draw(st.integers(1, 7))
    months = sorted(draw(st.lists(st.integers(1, 12), min_size=count, max_size=count, unique=True)))
    style = draw(st.sampled_from(_WEEKDAY_STYLES))
    ranges = []
    for month in months:
        start = dt.date(year, month, draw(st.integers(1, 18)))
        ranges.append([start + dt.timedelta(n) for n in range(draw(st.integers(1, 9)))])
    taken = {d for r in ranges for d in r}
    lines, off, work = [], {}, set()
    for i, (days, name) in enumerate(zip(ranges, _NAMES, strict=False)):
        first, last = days[0], days[-1]
        span = _written(first, None, style, False)
        if last != first:
            span += "至" + _written(last, first, style, False)
        line = f"{_NUMERALS[i]}、{name}:{span}放假调休,共{len(days)}天。"
        near = [first + dt.timedelta(n) for n in range(-9, (last - first).days + 10)]
        weekend = [d for d in near if d.weekday() >= 5 and d.year == year and d not in taken]
        chosen = sorted(draw(st.lists(st.sampled_from(weekend), max_size=2, unique=True)))
        if chosen:
            taken.update(chosen)
            work.update(chosen)
            shown = [_written(chosen[0], None, style or "星期", False)]
            if len(chosen) > 1:
                shown.append(_written(chosen[1], chosen[0], style or "星期", False))
            line += "、".join(shown) + "上班。"
        lines.append(line)
        off.update(dict.fromkeys(days, name))
    text = "\n".join(
        [
            f"国务院办公厅关于{year}年部分节假日安排的通知",
            f"国办发明电〔{year - 1}〕99号",
            "各省、自治区、直辖市人民政府,国务院各部委、各直属机构:",
            f"经国务院批准,现将{year}年部分节假日放假调休日期的具体安排通知如下。",
            *lines,
            "节假日期间,各地区、各部门要妥善安排好值班工作。",
            "国务院办公厅",
            f"{year - 1}年11月1日",
        ]
    )
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return text, year, off, work


_SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(notices())
def test_a_generated_consistent_notice_reads_back_to_its_days(generated):
    text, year, off, work = generated
    notice = read(text)
    assert notice.year == year
    assert notice.days_off() == off
    assert notice.workdays() == work
    assert notice.number == f"国办发明电〔{year - 1}〕99号"


@_SETTINGS
@given(notices(), st.data())
def test_a_generated_notice_with_one_total_wrong_is_refused(generated, data):
    text, _, _, _ = generated
    totals = list(re.finditer(r"共(\d+)天", text))
    target = data.draw(st.sampled_from(totals))
    wrong = int(target.group(1)) + data.draw(st.sampled_from([-1, 1, 2]))
    tampered = text[: target.start()] + f"共{wrong}天" + text[target.end() :]
    with pytest.raises(NoticeError, match=f"写明共 {wrong} 天") as info:
        read(tampered)
    assert f"共{wrong}天" in (info.value.item or "")  # the item, as the reader normalised it
