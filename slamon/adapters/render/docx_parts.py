"""The parts of the monthly DOCX around its sections, laid out as the seed reports are (GB/T
9704-2012): the masthead (贵州省公共数据共享开放 / 月 报) in red, the 年月 line, the issuer and
date line over a red rule, the appendix tables with sized columns, and the 报/送/发 lines (版记)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from slamon.adapters.render.docx_style import (
    BODY_FONT,
    BODY_PT,
    H1_FONT,
    RECORD_PT,
    RED,
    TABLE_PT,
    TITLE_FONT,
    border,
    fixed_layout,
    keep_row_together,
    repeat_header,
    set_fonts,
)
from slamon.adapters.render.docx_style import (
    H2_FONT as KAI_FONT,
)
from slamon.core.formats import chinese_date

MASTHEAD = ("贵州省公共数据共享开放", "月  报")
MASTHEAD_PT = (26, 42)
TEXT_WIDTH_CM = 15.6  # A4 21 cm less the 2.8 cm and 2.6 cm margins
CM_TWIPS = 567

# The two appendix tables: (width in cm, centred) per column, adding up to the text width. An
# application id of 15 characters and a 2024-12-02 date fit on one line of 五号 text.
DETAIL_COLUMNS = (
    (1.1, True),  # 序号
    (2.2, False),  # 提供部门
    (2.3, False),  # 资源名称
    (3.3, False),  # 申请编号
    (2.25, True),  # 收到日期
    (2.25, True),  # 答复期限
    (2.2, False),  # 情况
)
EXEMPTION_COLUMNS = (
    (1.1, True),  # 序号
    (2.2, False),  # 提供部门
    (2.3, False),  # 资源名称
    (3.3, False),  # 申请编号
    (3.0, False),  # 排除理由
    (1.5, True),  # 核实人
    (2.2, True),  # 核实日期
)


def _line(doc: Any, text: str, font: str, pt: float, *, centre: bool = True, red: bool = False):  # noqa: ANN202
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import RGBColor

    p = doc.add_paragraph()
    if centre:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pf = p.paragraph_format
    pf.first_line_indent = 0
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if text:
        run = p.add_run(text)
        set_fonts(run, font, pt)
        if red:
            run.font.color.rgb = RGBColor.from_string(RED)
    return p


def masthead(doc: Any, month_line: str, issuer: str | None, issued_on: dt.date | None) -> None:
    """版头: the red two-line masthead, the 年月 line, then issuer and date over a red rule."""
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Cm, Pt

    for text, pt in zip(MASTHEAD, MASTHEAD_PT, strict=True):
        p = _line(doc, text, TITLE_FONT, pt, red=True)
        p.paragraph_format.space_after = Pt(6)
    p = _line(doc, month_line, BODY_FONT, BODY_PT)
    p.paragraph_format.space_before = Pt(12)
    p.paragraph_format.space_after = Pt(6)
    p = _line(doc, "", BODY_FONT, BODY_PT, centre=False)
    p.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)
    set_fonts(p.add_run(issuer or ""), BODY_FONT, BODY_PT)
    if issued_on is not None:
        set_fonts(p.add_run("\t" + chinese_date(issued_on)), BODY_FONT, BODY_PT)
    p.paragraph_format.space_after = Pt(12)
    border(p, "bottom", eighths=12, space=4)


def masthead_note(doc: Any, text: str) -> None:
    """The as-of statement under the rule, centred in 楷体."""
    from docx.shared import Pt

    p = _line(doc, text, KAI_FONT, BODY_PT)
    p.paragraph_format.space_after = Pt(12)


def table(
    doc: Any,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    columns: Sequence[tuple[float, bool]],
) -> Any:
    """A grid table: fixed, sized columns; single-spaced 五号 text; the header row in 黑体,
    repeated on every page; rows never split across pages."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Cm

    t = doc.add_table(rows=1, cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    widths_cm = [w for w, _ in columns]
    fixed_layout(t, [round(w * CM_TWIPS) for w in widths_cm])

    def fill(cells: Any, texts: Sequence[str], font: str) -> None:
        for i, (cell, text) in enumerate(zip(cells, texts, strict=True)):
            cell.width = Cm(widths_cm[i])
            p = cell.paragraphs[0]
            pf = p.paragraph_format
            pf.first_line_indent = 0
            pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
            centred = font == H1_FONT or columns[i][1]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
            set_fonts(p.add_run(text), font, TABLE_PT)

    fill(t.rows[0].cells, headers, H1_FONT)
    repeat_header(t.rows[0])
    for row in rows:
        r = t.add_row()
        keep_row_together(r)
        fill(r.cells, row, BODY_FONT)
    return t


def figure(doc: Any, png: bytes, width_cm: float = 15.5) -> Any:
    """A picture centred on its own line, kept with the table that follows (its numbers)."""
    import io

    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Cm

    doc.add_picture(io.BytesIO(png), width=Cm(width_cm))
    p = doc.paragraphs[-1]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = 0
    # the body's exact line height would show a one-line strip of the picture
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.paragraph_format.keep_with_next = True
    return p


CHART_COLUMNS = ((3.5, True), (3.0, True), (3.0, True), (3.5, True))


def appendix_heading(doc: Any, text: str, first: bool) -> Any:
    """附 headings in 黑体 at the left margin; the first one starts a new page."""
    from docx.shared import Pt

    p = _line(doc, text, H1_FONT, BODY_PT, centre=False)
    p.paragraph_format.page_break_before = first
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.space_before = Pt(0 if first else BODY_PT)
    p.paragraph_format.space_after = Pt(6)
    return p


def record_lines(
    doc: Any,
    distribution: Sequence[tuple[str, str]],
    printed_by: str | None,
    issued_on: dt.date | None,
) -> None:
    """版记: 报/送/发 lines between rules, then the 印发机关 and date; nothing when not configured."""
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Cm, Pt

    if not distribution and not printed_by:
        return
    lines: list[Any] = []
    for key, value in distribution:
        p = _line(doc, "", BODY_FONT, RECORD_PT, centre=False)
        p.paragraph_format.first_line_indent = Pt(RECORD_PT)
        set_fonts(p.add_run(f"{key}：{value}"), BODY_FONT, RECORD_PT)
        lines.append(p)
    if printed_by:
        p = _line(doc, "", BODY_FONT, RECORD_PT, centre=False)
        p.paragraph_format.first_line_indent = Pt(RECORD_PT)
        p.paragraph_format.tab_stops.add_tab_stop(
            Cm(TEXT_WIDTH_CM) - Pt(RECORD_PT), WD_TAB_ALIGNMENT.RIGHT
        )
        tail = f"\t{chinese_date(issued_on)}印发" if issued_on else ""
        set_fonts(p.add_run(printed_by + tail), BODY_FONT, RECORD_PT)
        lines.append(p)
    lines[0].paragraph_format.space_before = Pt(BODY_PT * 2)
    lines[0].paragraph_format.keep_with_next = True
    border(lines[0], "top", color="000000", eighths=8, space=4)
    for p in lines:
        p.paragraph_format.keep_with_next = p is not lines[-1]
        border(p, "bottom", color="000000", eighths=4 if p is not lines[-1] else 8, space=4)


def core_properties(doc: Any, title: str, issuer: str | None, issued_on: dt.date | None) -> None:
    """Title, author (the issuer), created (the report's date) and language zh-CN; nothing left
    from the template (no "python-docx", no 2013)."""
    core = doc.core_properties
    author = issuer or ""
    core.title = title
    core.subject = "数据共享申请答复情况"
    core.author = author
    core.last_modified_by = author
    core.comments = ""
    core.keywords = "月报"
    core.category = "月报"
    core.language = "zh-CN"
    core.revision = 1
    if issued_on is not None:
        when = dt.datetime.combine(issued_on, dt.time(0, 0))
        core.created = when
        core.modified = when
        core.last_printed = when
