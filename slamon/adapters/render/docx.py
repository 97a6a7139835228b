"""The monthly report as a .docx in the style of a Chinese official document (GB/T 9704-2012):
A4, 仿宋 三号 body with a two-character first-line indent and fixed 28 pt line spacing, 一、 headings
in 黑体, （一） headings in 楷体, a 小标宋 title, and "- N -" page numbers in the footer (PAGE field).

East Asian fonts only take effect through ``w:rFonts/@w:eastAsia``; python-docx's ``font.name``
sets the Latin slots only, so every font here goes through :func:`set_fonts`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slamon.adapters.render.text import DETAIL_HEADERS, detail_rows, subtitle
from slamon.core.report_wording import (
    H1_OVERVIEW,
    H1_PROBLEMS,
    H1_SERVICE,
    H2_DISPATCH,
    H2_TIMELINESS,
    REPORT_TITLE,
    MonthlyReport,
)

BODY_FONT = "仿宋"
H1_FONT = "黑体"
H2_FONT = "楷体"
TITLE_FONT = "方正小标宋简体"
PAGE_NUMBER_FONT = "宋体"
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
LINE_PT = 28


def set_fonts(
    element: Any, name: str, size_pt: float | None = None, bold: bool | None = None
) -> None:
    """Set the Latin and East Asian font (and size, weight) on a run or a style, dropping theme fonts."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = element.font
    font.name = name
    if size_pt is not None:
        font.size = Pt(size_pt)
    if bold is not None:
        font.bold = bold
    rpr = element.element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(slot), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)


def _setup(doc: Any) -> None:
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Cm, Pt, RGBColor

    for section in doc.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
        section.footer_distance = Cm(2.5)
    normal = doc.styles["Normal"]
    set_fonts(normal, BODY_FONT, BODY_PT)
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(LINE_PT)
    pf.space_before = pf.space_after = Pt(0)
    for style_name, font in (("Heading 1", H1_FONT), ("Heading 2", H2_FONT)):
        style = doc.styles[style_name]
        set_fonts(style, font, BODY_PT, bold=False)
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        spf = style.paragraph_format
        spf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        spf.line_spacing = Pt(LINE_PT)
        spf.space_before = spf.space_after = Pt(0)
        spf.first_line_indent = Pt(BODY_PT * 2)
        spf.keep_with_next = True


def _page_number_footer(doc: Any) -> None:
    """Centre "- PAGE -" in every footer, the number being a live PAGE field."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for section in doc.sections:
        p = section.footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = 0
        set_fonts(p.add_run("- "), PAGE_NUMBER_FONT, 14)
        for kind, text in (
            ("begin", None),
            ("instr", " PAGE "),
            ("separate", None),
            ("text", "1"),
            ("end", None),
        ):
            run = p.add_run()
            set_fonts(run, PAGE_NUMBER_FONT, 14)
            if kind == "instr":
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = text
            elif kind == "text":
                el = OxmlElement("w:t")
                el.text = text
            else:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), kind)
            run._r.append(el)
        set_fonts(p.add_run(" -"), PAGE_NUMBER_FONT, 14)


def _body(doc: Any, text: str) -> None:
    from docx.shared import Pt

    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
    set_fonts(p.add_run(text), BODY_FONT, BODY_PT)


def _heading(doc: Any, text: str, level: int) -> None:
    p = doc.add_heading(level=level)
    set_fonts(p.add_run(text), H1_FONT if level == 1 else H2_FONT, BODY_PT, bold=False)


def _title(doc: Any, r: MonthlyReport) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.line_spacing = Pt(36)
    set_fonts(p.add_run(REPORT_TITLE), TITLE_FONT, TITLE_PT)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_fonts(p.add_run(subtitle(r)), H2_FONT, BODY_PT)
    doc.add_paragraph()


def _detail_table(doc: Any, r: MonthlyReport) -> None:
    rows = detail_rows(r)
    if not rows:
        return
    _heading(doc, "附：超期申请明细", 1)
    table = doc.add_table(rows=1, cols=len(DETAIL_HEADERS))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, DETAIL_HEADERS, strict=True):
        cell.paragraphs[0].paragraph_format.first_line_indent = 0
        set_fonts(cell.paragraphs[0].add_run(text), H1_FONT, 10.5)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.paragraphs[0].paragraph_format.first_line_indent = 0
            set_fonts(cell.paragraphs[0].add_run(text), BODY_FONT, 10.5)


def build_docx(r: MonthlyReport, problems_only: bool = False) -> Any:
    """The python-docx Document of the report (or of its 存在问题 section alone)."""
    from docx import Document

    doc = Document()
    _setup(doc)
    _page_number_footer(doc)
    _title(doc, r)
    if not problems_only:
        _heading(doc, H1_OVERVIEW, 1)
        _heading(doc, H2_DISPATCH, 2)
        _body(doc, r.dispatch_text)
        _heading(doc, H1_SERVICE, 1)
        _heading(doc, H2_TIMELINESS, 2)
        _body(doc, r.timeliness_text)
    _heading(doc, H1_PROBLEMS, 1)
    _body(doc, r.problems_text)
    if not problems_only:
        _detail_table(doc, r)
    core = doc.core_properties
    core.title = f"{REPORT_TITLE}（{r.figures.month.label}）"
    core.author = "slamon"
    return doc


def write_docx(r: MonthlyReport, path: Path, problems_only: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_docx(r, problems_only).save(str(path))
    return path
