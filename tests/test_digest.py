"""The weekly compliance digest: figures, the HTML and text parts, queuing once per week."""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from reporthelpers import TZ, Maker, at, december_records
from sqlalchemy import select
from storehelpers import REPO_ROOT, ingest_records, make_runtime

from slamon.adapters.render.digest import render_digest
from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import Outbox
from slamon.core.digest_figures import weekly_digest
from slamon.core.periods import IsoWeek
from slamon.core.records import ApplicationRecord
from slamon.service.reports import digest_due_at, queue_weekly_digest_if_due

W50 = IsoWeek(2024, 50)  # 9–15 December 2024


def week_records(calendar) -> list[ApplicationRecord]:
    mk = Maker(calendar)
    d = dt.date
    return [
        mk.conditional("甲", "a1", d(2024, 12, 9), 1),  # received and answered on time in W50
        mk.conditional("甲", "a2", d(2024, 12, 2), 7),  # received W49, answered late in W50
        mk.conditional("甲", "a3", d(2024, 12, 3)),  # received W49, overdue since 10 Dec
        # due 17 Dec: 2 working days after the week's end — not yet due soon under guizhou-2023
        # (due_soon_working_days: 1, the one definition in core/sla.is_due_soon)
        mk.conditional("甲", "a4", d(2024, 12, 10)),
        mk.conditional("乙", "b1", d(2024, 11, 25)),  # overdue since 2 Dec
        mk.conditional("乙", "b2", d(2024, 12, 4), 1),  # W49, on time
        mk.unconditional("丙", "c", d(2024, 12, 10)),  # not counted
        ApplicationRecord(
            "P1", "省税务局", "丁", "d", "conditional", at(d(2024, 12, 10))
        ),  # awaiting review
    ]


@pytest.fixture(scope="module")
def digest(calendar, ruleset):  # noqa: ANN201
    return weekly_digest(
        week_records(calendar), W50, at(dt.date(2024, 12, 16), 9), ruleset, calendar, TZ
    )


def test_week_figures_per_department(digest) -> None:
    assert [r.current.provider_dept for r in digest.rows] == ["甲", "乙"]
    jia, yi = digest.rows
    c = jia.current
    assert (c.received, c.answered, c.on_time, c.overdue, c.due_soon) == (2, 2, 1, 1, 0)
    # the overdue unanswered a3 is not on time: 1 on time out of 2 answers + 1 overdue
    assert c.on_time_rate == pytest.approx(1 / 3)
    # 乙 answered nothing this week and has one overdue application: 0%, not 100% or blank
    assert yi.current.on_time_rate == 0.0
    p = jia.previous
    # as of 8 Dec: a2 (due 9 Dec) is due soon; a3 (due 10 Dec, two working days away) is not yet
    assert (p.received, p.answered, p.overdue, p.due_soon) == (2, 0, 0, 1)
    assert (yi.current.overdue, yi.previous.overdue, yi.previous.answered, yi.previous.on_time) == (
        1,
        1,
        1,
        1,
    )
    assert digest.current.as_of == W50.end(TZ)
    t = digest.total
    assert (t.current.received, t.previous.received, t.overdue_change) == (2, 3, 1)
    assert t.current.on_time_rate == pytest.approx(1 / 4)  # 1 on time of 2 answers + 2 overdue
    assert t.previous.on_time_rate == pytest.approx(1 / 2)  # b2 on time, b1 overdue
    assert t.rate_change == pytest.approx(-0.25)


def test_longest_overdue_first(digest) -> None:
    assert [(i.resource_name, i.overdue_working_days) for i in digest.longest_overdue] == [
        ("b1", 9),
        ("a3", 3),
    ]


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:  # noqa: ANN001
        self.tags.append(tag)

    def handle_data(self, data) -> None:  # noqa: ANN001
        self.text.append(data)


def test_html_parses_with_chinese_text_and_no_external_resources(digest) -> None:
    mail = render_digest(digest, TZ)
    parser = _Collect()
    parser.feed(mail.html)
    parser.close()
    text = "".join(parser.text)
    for expected in (
        "数据共享申请答复时限周报",
        "各提供部门情况",
        "超期时间最长的申请",
        "甲",
        "乙",
        "33.3%",
        "0.0%",
        "2024年第50周",
    ):
        assert expected in text
    assert not {"img", "script", "link", "style", "svg"} & set(parser.tags)
    assert "url(" not in mail.html and "@font-face" not in mail.html
    assert mail.html.count("<table") == mail.html.count("</table>")
    assert '<meta charset="utf-8">' in mail.html
    assert mail.subject == "数据共享申请答复时限周报：2024年第50周（12月9日—12月15日）"


def test_plain_text_part_is_real(digest) -> None:
    text = render_digest(digest, TZ).text
    assert "<" not in text
    assert "完成审批2次（上周1次），其中按时审批1次，按时率25.0%（较上周-25.0个百分点）" in text
    assert "超期未审批2次（较上周+1）" in text
    assert "1. 甲：收到2次，审批2次（其中退回补正0次），按时1次，按时率33.3%" in text
    assert "2. 乙：收到0次，审批0次（其中退回补正0次），按时0次，按时率0.0%" in text
    assert "已超期9个工作日" in text
    assert "超期未审批的申请计为未按时" in text  # 统计口径 says how the rate is counted


def test_overdue_on_a_weekend_is_not_zero_working_days(calendar, ruleset) -> None:
    """Due Friday 13 Dec, as of Saturday 14 Dec: overdue, but no working day late yet."""
    rec = Maker(calendar).conditional("甲", "周末超期", dt.date(2024, 12, 6))
    d = weekly_digest([rec], W50, at(dt.date(2024, 12, 14), 10), ruleset, calendar, TZ)
    assert [(i.resource_name, i.overdue_working_days) for i in d.longest_overdue] == [
        ("周末超期", 0)
    ]
    mail = render_digest(d, TZ)
    for part in (mail.text, mail.html):
        assert "已超过答复期限" in part
        assert "0个工作日" not in part
    assert d.rows[0].current.on_time_rate == 0.0


def test_exempted_applications_are_left_out_of_the_digest(calendar, ruleset) -> None:
    records = week_records(calendar)
    overdue = [r.application_id for r in records if r.resource_name in ("a3", "b1")]
    d = weekly_digest(
        records, W50, at(dt.date(2024, 12, 16), 9), ruleset, calendar, TZ, exempt=overdue
    )
    assert d.longest_overdue == ()
    jia = next(r for r in d.rows if r.current.provider_dept == "甲").current
    assert (jia.overdue, jia.on_time_rate) == (0, 0.5)


def test_html_escapes_names(calendar, ruleset) -> None:
    mk = Maker(calendar)
    rec = mk.conditional("<b>甲&乙</b>", "x<y", dt.date(2024, 12, 2))
    d = weekly_digest([rec], W50, at(dt.date(2024, 12, 16), 9), ruleset, calendar, TZ)
    html = render_digest(d, TZ).html
    assert "<b>甲" not in html and "&lt;b&gt;甲&amp;乙&lt;/b&gt;" in html


def test_empty_week(calendar, ruleset) -> None:
    mail = render_digest(
        weekly_digest([], W50, at(dt.date(2024, 12, 16), 9), ruleset, calendar, TZ), TZ
    )
    assert "本周无有条件共享数据申请需要统计" in mail.text and "无超期未审批的申请" in mail.html


def test_iso_week_parsing() -> None:
    assert IsoWeek.parse("2024-W50") == W50 and IsoWeek.parse("2024w50") == W50
    assert IsoWeek.of(dt.date(2024, 12, 30)) == IsoWeek(2025, 1)
    assert IsoWeek(2025, 1).previous() == IsoWeek(2024, 52)
    from slamon.core.errors import InputError

    with pytest.raises(InputError):
        IsoWeek.parse("2024-W54")


# -- sending once a week ---------------------------------------------------------------------
@pytest.fixture
def store(tmp_path: Path, calendar):  # noqa: ANN201
    rt = make_runtime(tmp_path, supervisors=["dsj@example.gov.cn", "xxzx@example.gov.cn"])
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    ingest_records(engine, rt, december_records(calendar), at(dt.date(2024, 12, 16), 8))
    yield engine, rt
    engine.dispose()


def _digest_rows(engine) -> list:  # noqa: ANN001
    ob = Outbox.__table__
    with engine.connect() as conn:
        return list(conn.execute(select(ob).where(ob.c.kind == "digest")).mappings())


def test_queued_on_monday_at_nine_once(store) -> None:
    engine, rt = store
    assert queue_weekly_digest_if_due(engine, rt, at(dt.date(2024, 12, 16), 8, 59)) is False
    assert queue_weekly_digest_if_due(engine, rt, at(dt.date(2024, 12, 16), 9, 0)) is True
    assert queue_weekly_digest_if_due(engine, rt, at(dt.date(2024, 12, 16), 9, 5)) is False
    assert queue_weekly_digest_if_due(engine, rt, at(dt.date(2024, 12, 18), 15)) is False
    (row,) = _digest_rows(engine)
    assert row["key"] == "digest|2024-W50"
    assert json.loads(row["recipients"]) == ["dsj@example.gov.cn", "xxzx@example.gov.cn"]
    assert "2024年第50周" in row["subject"] and "省公共资源交易中心" in row["body_html"]
    assert "省公共资源交易中心" in row["body_text"]
    assert queue_weekly_digest_if_due(engine, rt, at(dt.date(2024, 12, 23), 9, 30)) is True
    assert [r["key"] for r in _digest_rows(engine)] == ["digest|2024-W50", "digest|2024-W51"]


def test_monday_holiday_moves_to_the_next_working_day(tmp_path: Path) -> None:
    rt = make_runtime(tmp_path, supervisors=["dsj@example.gov.cn"])
    # 16–17 Sep 2024: 中秋节; 7 Oct 2024: 国庆节
    assert digest_due_at(IsoWeek(2024, 38), rt) == at(dt.date(2024, 9, 18), 9)
    assert digest_due_at(IsoWeek(2024, 41), rt) == at(dt.date(2024, 10, 8), 9)
    assert digest_due_at(IsoWeek(2024, 51), rt) == at(dt.date(2024, 12, 16), 9)
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    assert queue_weekly_digest_if_due(engine, rt, at(dt.date(2024, 9, 16), 10)) is False
    assert queue_weekly_digest_if_due(engine, rt, at(dt.date(2024, 9, 18), 9)) is True
    assert [r["key"] for r in _digest_rows(engine)] == ["digest|2024-W37"]
    engine.dispose()


def test_configured_day_and_time(tmp_path: Path) -> None:
    rt = make_runtime(
        tmp_path, supervisors=["dsj@example.gov.cn"], digest={"weekday": 5, "time": "16:30"}
    )
    assert digest_due_at(IsoWeek(2024, 50), rt) == at(dt.date(2024, 12, 13), 16, 30)


def test_no_supervisors_nothing_queued(tmp_path: Path) -> None:
    rt = make_runtime(tmp_path)
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    assert queue_weekly_digest_if_due(engine, rt, at(dt.date(2024, 12, 16), 10)) is False
    assert _digest_rows(engine) == []
    engine.dispose()


# -- the command line ------------------------------------------------------------------------
@pytest.fixture
def cli(run_cli, write_config, store):  # noqa: ANN001, ANN201
    from slamon.cli import app, report_cmds

    if not any(g.name == "report" for g in app.registered_groups):
        report_cmds.register(app)
    engine, _rt = store

    def run(*argv: str, supervisors: bool = True):  # noqa: ANN202
        config = write_config(
            {
                "store": {"url": str(engine.url)},
                "rules": {"dir": str(REPO_ROOT / "rules")},
                "supervisors": ["dsj@example.gov.cn"] if supervisors else [],
            }
        )
        return run_cli(list(argv), config=config)

    return run


def test_cli_digest_text_and_html(cli, tmp_path: Path) -> None:
    res = cli("digest", "--now", "2024-12-16 10:00")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("主题：数据共享申请答复时限周报：2024年第50周")
    out = tmp_path / "digest.html"
    res = cli("digest", "--week", "2024-W51", "--now", "2024-12-23 10:00", "--output", str(out))
    assert res.exit_code == 0 and "2024年第51周" in out.read_text(encoding="utf-8")


def test_cli_digest_send_and_usage_errors(cli, store) -> None:
    engine, _rt = store
    assert cli("digest", "--send", "--output", "x.html").exit_code == 2
    res = cli("digest", "--send", "--now", "2024-12-16 20:00", supervisors=False)
    assert res.exit_code == 1 and "supervisors" in res.stderr
    res = cli(
        "digest", "--send", "--week", "2024-W50", "--now", "2024-12-16 20:00"
    )  # outside the sending window
    assert res.exit_code == 0, res.stderr
    assert "已加入发件队列" in res.stdout
    assert [r["key"] for r in _digest_rows(engine)] == ["digest|2024-W50"]
    res = cli("digest", "--send", "--week", "2024-W50", "--now", "2024-12-16 20:05")
    assert "不重复发送" in res.stdout
