"""The monthly report as a .docx in the style of a Chinese official document (GB/T 9704-2012),
as the seed reports look: the red masthead (贵州省公共数据共享开放 / 月 报), the 年月 line, the
issuer and date over a red rule; A4, 仿宋 三号 justified body with a two-character first-line
indent and fixed 28 pt line spacing, 一、 headings in 黑体, （一） headings in 楷体; the data note;
after a page break the appendix tables (sized columns, single spacing, header row repeated); the
报/送/发 lines when configured; "- N -" page numbers in the footer (PAGE field); core properties
(title, author = issuer, created = the report's date, language zh-CN).

East Asian fonts only take effect through ``w:rFonts/@w:eastAsia``; python-docx's ``font.name``
sets the Latin slots only, so every font goes through :func:`set_fonts`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slamon.adapters.render import docx_parts as parts
from slamon.adapters.render.docx_style import (  # noqa: F401 - set_fonts is re-exported
    BODY_FONT,
    BODY_PT,
    H1_FONT,
    H2_FONT,
    LINE_PT,
    PAGE_NUMBER_FONT,
    set_fonts,
    set_language,
)
from slamon.adapters.render.text import (
    DETAIL_HEADERS,
    DETAIL_TITLE,
    EXEMPTION_TITLE,
    NOTE_LABEL,
    WARNING_LABEL,
    detail_rows,
    exemption_rows,
    quality_note,
    warnings,
)
from slamon.core.data_quality import EXEMPTION_HEADERS
from slamon.core.formats import chinese_moment
from slamon.core.report_wording import (
    REPORT_TITLE,
    MonthlyReport,
)


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


def _body(doc: Any, text: str, bold_lead: str | None = None) -> Any:
    """A body paragraph: justified, two-character first-line indent (a 注意：/数据说明： lead in 黑体)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
    if bold_lead and text.startswith(bold_lead):
        set_fonts(p.add_run(bold_lead), H1_FONT, BODY_PT)
        text = text[len(bold_lead) :]
    set_fonts(p.add_run(text), BODY_FONT, BODY_PT)
    return p


def _heading(doc: Any, text: str, level: int) -> Any:
    p = doc.add_heading(level=level)
    set_fonts(p.add_run(text), H1_FONT if level == 1 else H2_FONT, BODY_PT, bold=False)
    return p


def _month_line(r: MonthlyReport) -> str:
    m = r.figures.month
    return f"{m.year}年{m.month}月"


def build_docx(r: MonthlyReport, problems_only: bool = False) -> Any:
    """The python-docx Document of the report (or of its 存在问题 section alone)."""
    from docx import Document

    doc = Document()
    _setup(doc)
    set_language(doc)
    _page_number_footer(doc)
    parts.masthead(doc, _month_line(r), r.issuer, r.issued_on)
    as_of = f"（统计截至{chinese_moment(r.figures.as_of, r.tz)}）"
    parts.masthead_note(doc, as_of)
    for w in warnings(r):
        _body(doc, WARNING_LABEL + w, bold_lead=WARNING_LABEL)
    for section in r.sections(problems_only):
        _heading(doc, section.heading, 1)
        if section.subheading:
            _heading(doc, section.subheading, 2)
        _body(doc, section.text)
    note = quality_note(r)
    if note:
        _body(doc, note, bold_lead=NOTE_LABEL)
    appendices = []
    details = [] if problems_only else detail_rows(r, compact=True)
    if details:
        appendices.append((DETAIL_TITLE, DETAIL_HEADERS, details, parts.DETAIL_COLUMNS))
    exempted = exemption_rows(r, compact=True)
    if exempted:
        appendices.append((EXEMPTION_TITLE, EXEMPTION_HEADERS, exempted, parts.EXEMPTION_COLUMNS))
    chart = _trend_chart(r) if not problems_only else None
    if chart is not None:
        appendices.append((f"附：{chart.title}", chart.headers, chart.rows, parts.CHART_COLUMNS))
    for n, (title, headers, rows, columns) in enumerate(appendices, start=1):
        label = title.replace("附：", f"附{n}：") if len(appendices) > 1 else title
        parts.appendix_heading(doc, label, first=n == 1)
        if chart is not None and headers == chart.headers:
            if chart.png:
                parts.figure(doc, chart.png)
            else:
                _body(doc, chart.problem or "")
        parts.table(doc, headers, rows, columns)
    parts.record_lines(doc, r.distribution, r.printed_by, r.issued_on)
    parts.core_properties(doc, f"{REPORT_TITLE}（{r.figures.month.label}）", r.issuer, r.issued_on)
    return doc


def _trend_chart(r: MonthlyReport):  # noqa: ANN202
    """The appendix figure (``report.charts``): the on-time rate of the months up to this one."""
    if r.trend is None:
        return None
    from slamon.adapters.render.trend_charts import ontime_chart

    return ontime_chart(r.trend)


def write_docx(r: MonthlyReport, path: Path, problems_only: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_docx(r, problems_only).save(str(path))
    return path
