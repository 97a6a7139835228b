"""The final monthly report after a 核实 round: its data note says how many departments were
asked, until when, and what came back, in every format (text, Markdown, DOCX, the web page,
JSON's ``feedback_round``); a month without a round says nothing about one."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from feedbackhelpers import DEC, MARKET, PUB, SATURDAY, setup

from slamon.adapters.render.formats import report_format
from slamon.adapters.render.text import md_escape
from slamon.service.feedback_round import draft_round, send_round
from slamon.service.reports import monthly_report

TZ_NOW = dt.datetime(2025, 2, 6, 10, 0, tzinfo=SATURDAY.tzinfo)  # after the feedback deadline
WHEN = "2025-02-05 10:00"  # the 情况说明 and the decisions: on the feedback deadline
ASKED = "存在问题初稿已于2025年1月26日送涉及的3个部门核实（反馈截止2025年2月5日）"


def _docx_text(data: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(data))
    cells = (c.text for t in doc.tables for row in t.rows for c in row.cells)
    return "\n".join([*(p.text for p in doc.paragraphs), *cells])


def _all_formats(report: Any) -> dict[str, str]:
    out = {n: report_format(n).render(report, False).decode("utf-8") for n in ("text", "md")}
    out["docx"] = _docx_text(report_format("docx").render(report, False))
    return out


def test_without_a_round_the_report_says_nothing_about_one(
    tmp_path: Path, write_config: Any, smtp_server: Any, calendar: Any
) -> None:
    _config, rt, engine = setup(tmp_path, write_config, smtp_server, calendar)
    report = monthly_report(engine, rt, DEC, now=TZ_NOW)
    assert report.as_json()["feedback_round"] is None
    for text in _all_formats(report).values():
        assert "核实" not in text and "情况说明" not in text


def test_the_data_note_counts_the_round_in_every_format(
    tmp_path: Path, write_config: Any, smtp_server: Any, calendar: Any
) -> None:
    _config, rt, engine = setup(tmp_path, write_config, smtp_server, calendar)
    send_round(engine, rt, draft_round(engine, rt, DEC, SATURDAY), by="测试")
    report = monthly_report(engine, rt, DEC, now=TZ_NOW)
    note = report.quality.note(rt.tz)
    assert ASKED + "，未收到情况说明。" in note
    for name, text in _all_formats(report).items():
        assert ASKED in text, name
    data = json.loads(report_format("json").render(report, False))
    fb = data["feedback_round"]
    assert (fb["asked"], fb["received"], fb["accepted"], fb["rejected"]) == (3, 0, 0, 0)
    assert fb["feedback_deadline"] == "2025-02-05" and fb["first_send_day"] == "2025-01-26"
    assert [d["department"] for d in fb["departments"]] == [
        "省公共资源交易中心",
        "省市场监管局",
        "省民政厅",
    ]
    assert fb["departments"][2]["unassigned"] is True
    # the draft itself (what the round sends) never speaks of the round
    draft = monthly_report(engine, rt, DEC, now=TZ_NOW, with_feedback=False)
    assert draft.as_json()["feedback_round"] is None and "核实" not in draft.quality.note(rt.tz)
    # nor does another month's report
    other = monthly_report(engine, rt, DEC.previous(), now=TZ_NOW)
    assert other.as_json()["feedback_round"] is None


def test_an_accepted_dispute_takes_its_department_out_and_the_note_counts_it(
    tmp_path: Path, write_config: Any, run_cli: Any, smtp_server: Any, calendar: Any
) -> None:
    config, rt, engine = setup(tmp_path, write_config, smtp_server, calendar)
    send_round(engine, rt, draft_round(engine, rt, DEC, SATURDAY), by="测试")
    market_id = next(
        i.application_id
        for g in monthly_report(engine, rt, DEC).figures.late
        for i in g.items
        if g.provider_dept == MARKET
    )
    pub_id = next(i for i in asked_ids(engine) if i.startswith("PUB"))
    for aid, reason in ((market_id, "平台故障期间已电话答复申请方"), (pub_id, "经办人出差")):
        argv = ["dispute", "add", aid, "--reason", reason, "--by", "李四", "--now", WHEN]
        r = run_cli(argv, config=config)
        assert r.exit_code == 0, r.stderr
    listed = json.loads(run_cli(["disputes", "--json"], config=config).stdout)
    by_app = {d["application_id"]: d["id"] for d in listed}
    decide = (("accept", market_id, "经核实属实"), ("reject", pub_id, "出差不构成延期理由"))
    for verb, aid, reason in decide:
        argv = [
            "dispute",
            verb,
            str(by_app[aid]),
            "--reason",
            reason,
            "--by",
            "王五",
            "--now",
            WHEN,
        ]
        assert run_cli(argv, config=config).exit_code == 0

    report = monthly_report(engine, rt, DEC, now=TZ_NOW)
    assert MARKET not in report.problems_text and PUB in report.problems_text
    assert market_id not in [i for g in report.figures.late for i in g.applications]
    note = report.quality.note(rt.tz)
    assert ASKED + "，收到情况说明2件，经核实采纳1件、未采纳1件" in note
    row = next(r for r in report.quality.exemption_rows(rt.tz) if r[3] == market_id)
    assert f"情况说明 #{by_app[market_id]}" in row[4]  # the appendix cites the dispute
    assert row[6] == "2025年2月5日"
    fb = report.as_json()["feedback_round"]
    assert (fb["received"], fb["accepted"], fb["rejected"], fb["pending"]) == (2, 1, 1, 0)
    cited = f"依据情况说明 #{by_app[market_id]}：经核实属实"  # the exemption's reason
    for name, text in _all_formats(report).items():
        assert "经核实采纳1件" in text, name
        assert (md_escape(cited) if name == "md" else cited) in text, name


def asked_ids(engine: Any) -> list[str]:
    from slamon.service.feedback_record import asked_departments

    return [a for d in asked_departments(engine, DEC) for a in d.application_ids]
