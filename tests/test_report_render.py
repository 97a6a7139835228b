"""Renderers of the monthly report: text, Markdown, JSON and the official-style .docx."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reporthelpers import DECEMBER_PROBLEMS, TZ, december_records, figures

from slamon.adapters.render.docx import build_docx, write_docx
from slamon.adapters.render.text import render_json, render_markdown, render_text
from slamon.core.report_wording import MonthlyReport, build_report

HEADINGS = [
    "一、总体情况",
    "（一）数据调度情况",
    "三、部门数据共享服务情况",
    "（一）数据申请响应情况",
    "六、存在问题",
]


@pytest.fixture(scope="module")
def report(calendar, ruleset) -> MonthlyReport:
    return build_report(figures(december_records(calendar), ruleset, calendar), ruleset, TZ)


def test_text_has_the_three_sections_in_order(report) -> None:
    text = render_text(report)
    positions = [text.index(h) for h in HEADINGS]
    assert positions == sorted(positions)
    assert "统计截至2024年12月31日24时" in text
    assert DECEMBER_PROBLEMS in text
    assert "附：超期申请明细" in text and text.count("未审批，已超期") == 4


def test_problems_only(report) -> None:
    text = render_text(report, problems_only=True)
    assert text.splitlines()[0] == "六、存在问题"
    assert "数据调度情况" not in text and DECEMBER_PROBLEMS in text
    data = json.loads(render_json(report, problems_only=True))
    assert set(data) == {"month", "as_of", "late", "problems_text", "data_quality"}


def test_markdown_headings(report) -> None:
    md = render_markdown(report)
    assert "## 一、总体情况" in md and "### （一）数据调度情况" in md and "## 六、存在问题" in md
    assert "| 序号 | 提供部门 |" in md


def test_json_shape_follows_the_contract(report) -> None:
    data = json.loads(render_json(report))
    assert data["month"] == "2024-12"
    assert data["as_of"] == "2024-12-31T23:59:59+08:00"
    assert list(data["dispatch"])[:9] == [
        "applications",
        "conditional",
        "unconditional",
        "reviewed",
        "unreviewed",
        "provider_decisions",
        "approved",
        "rejected",
        "undecided",
    ]  # CONTRACT §2; later keys are extensions
    assert set(data["dispatch"]) >= {"returned", "withdrawn"}
    assert data["timeliness_top"] == ["省水利厅", "省残联", "省中医药管理局"]
    (late,) = data["late"]
    assert {
        "provider_dept",
        "resources",
        "applications",
        "answered_late",
        "unanswered_overdue",
    } <= set(late)
    assert late["resources"] == ["工程类_招标项目", "工程类-中标结果公告"]
    assert data["problems_text"] == DECEMBER_PROBLEMS


def _east_asia(run) -> str | None:  # noqa: ANN001
    from docx.oxml.ns import qn

    rfonts = run._r.rPr.rFonts
    return rfonts.get(qn("w:eastAsia"))


def test_docx_opens_and_holds_the_sections(report, tmp_path: Path) -> None:
    from docx import Document
    from docx.shared import Cm

    path = write_docx(report, tmp_path / "report-2024-12.docx")
    doc = Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    assert texts[:2] == ["贵州省公共数据共享开放", "月  报"]
    for h in HEADINGS:
        assert h in texts
    styles = {p.text: p.style.name for p in doc.paragraphs}
    assert styles["一、总体情况"] == "Heading 1" and styles["（一）数据调度情况"] == "Heading 2"
    assert DECEMBER_PROBLEMS in texts
    h1 = next(p for p in doc.paragraphs if p.text == "六、存在问题")
    body = next(p for p in doc.paragraphs if p.text == DECEMBER_PROBLEMS)
    assert _east_asia(h1.runs[0]) == "黑体"
    assert _east_asia(body.runs[0]) == "仿宋"
    section = doc.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.01) and abs(section.page_height - Cm(29.7)) < Cm(
        0.01
    )
    footer_xml = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer_xml and 'w:fldCharType="begin"' in footer_xml
    assert section.footer.paragraphs[0].text.startswith("- ") and section.footer.paragraphs[
        0
    ].text.endswith(" -")
    assert len(doc.tables) == 1 and len(doc.tables[0].rows) == 5  # header + 4 late applications


def test_docx_problems_only(report) -> None:
    doc = build_docx(report, problems_only=True)
    texts = [p.text for p in doc.paragraphs]
    assert "六、存在问题" in texts and "一、总体情况" not in texts
