"""The monthly DOCX as the seed reports look (GB/T 9704): masthead, issuer and date line, justified
body, data note, appendix tables after a page break with sized columns, single spacing and a
repeated header row, 报/送/发 lines, and honest core properties. Checked with python-docx."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from storehelpers import at, ingest_records, make_runtime, record

from slamon.adapters.render.docx import build_docx
from slamon.adapters.store.db import open_store
from slamon.service.exemptions import exempt
from slamon.service.reports import monthly_report

DISTRIBUTION = {
    "报": "省大数据局",
    "送": "省直各部门",
    "发": "各市（州）、贵安新区大数据发展主管部门",
}


@pytest.fixture(scope="module")
def doc(tmp_path_factory):  # noqa: ANN201
    folder = tmp_path_factory.mktemp("docx")
    rt = make_runtime(
        folder,
        report={
            "issuer": "贵州省信息中心",
            "distribution": DISTRIBUTION,
            "printed_by": "贵州省信息中心办公室",
        },
    )
    engine = open_store(f"sqlite:///{folder / 's.db'}")
    records = [
        record(
            f"SQ2024120200{i:03d}",
            received="2024-12-02 10:00",
            submitted_at=at("2024-12-02 09:00"),
            reviewed_at=at("2024-12-02 09:30"),
            resource_name=f"不动产登记信息第{i}项",
        )
        for i in range(30)
    ]
    ingest_records(engine, rt, records, at("2025-01-02 10:00"))
    exempt(engine, rt, ["SQ2024120200000"], "已电话答复，经核实", "张三", at("2025-01-06 10:00"))
    report = monthly_report(engine, rt, "2024-12", now=at("2025-01-13 09:00"))
    buf = io.BytesIO()
    build_docx(report).save(buf)
    buf.seek(0)
    return Document(buf)


def test_masthead_issuer_and_date(doc) -> None:
    texts = [p.text for p in doc.paragraphs]
    assert texts[:3] == ["贵州省公共数据共享开放", "月  报", "2024年12月"]
    assert texts[3] == "贵州省信息中心\t2025年1月13日"
    red = doc.paragraphs[0].runs[0].font.color.rgb
    assert str(red) == "FF0000"
    assert doc.paragraphs[3]._p.pPr.find(qn("w:pBdr")) is not None  # the red rule under it


def test_body_is_justified_and_the_note_says_what_it_rests_on(doc) -> None:
    body = next(p for p in doc.paragraphs if p.text.startswith("根据《"))
    assert body.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    note = next(p for p in doc.paragraphs if p.text.startswith("数据说明："))
    assert note.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert "经核实排除的申请1件" in note.text


def test_appendix_tables(doc) -> None:
    heads = [p for p in doc.paragraphs if p.text.startswith("附")]
    assert [p.text for p in heads] == ["附1：超期申请明细", "附2：核实排除的申请"]
    assert heads[0].paragraph_format.page_break_before is True
    details, exemptions = doc.tables
    assert len(details.rows) == 1 + 29 and len(exemptions.rows) == 2
    widths = [c.width.cm for c in details.rows[1].cells]
    assert len(set(round(w, 2) for w in widths)) > 3  # sized, not seven equal columns
    assert sum(widths) == pytest.approx(15.6, abs=0.05)
    assert widths[3] >= 3.2  # the application id column holds a 15-character id
    header = details.rows[0]._tr.trPr
    assert header.find(qn("w:tblHeader")) is not None  # repeated on every page
    for row in details.rows[:3]:
        for cell in row.cells:
            pf = cell.paragraphs[0].paragraph_format
            assert pf.line_spacing_rule == WD_LINE_SPACING.SINGLE
    assert details.rows[1].cells[4].text == "2024-12-02"  # dates that do not break
    assert exemptions.rows[1].cells[4].text == "已电话答复，经核实"


def test_distribution_lines_at_the_end(doc) -> None:
    texts = [p.text for p in doc.paragraphs]
    assert texts[-4:] == [
        "报：省大数据局",
        "送：省直各部门",
        "发：各市（州）、贵安新区大数据发展主管部门",
        "贵州省信息中心办公室\t2025年1月13日印发",
    ]


def test_core_properties(doc) -> None:
    core = doc.core_properties
    assert core.title == "贵州省公共数据共享开放月报（2024年12月）"
    assert core.author == "贵州省信息中心" and core.last_modified_by == "贵州省信息中心"
    assert core.created.date() == dt.date(2025, 1, 13) and core.created.year != 2013
    assert core.language == "zh-CN"
    assert "python-docx" not in (core.comments or "")
    lang = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    assert lang.find(qn("w:rPr")).find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
