"""Fonts, sizes and the bits of WordprocessingML python-docx has no API for (borders, repeated
header rows, cell margins, the document language), shared by the DOCX renderers.

East Asian fonts only take effect through ``w:rFonts/@w:eastAsia``; python-docx's ``font.name``
sets the Latin slots only, so every font here goes through :func:`set_fonts`.
"""

from __future__ import annotations

from typing import Any

BODY_FONT = "仿宋"
H1_FONT = "黑体"
H2_FONT = "楷体"
TITLE_FONT = "方正小标宋简体"
PAGE_NUMBER_FONT = "宋体"
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
TABLE_PT = 10.5  # 五号
RECORD_PT = 14  # 四号: the 版记 lines
LINE_PT = 28
RED = "FF0000"
LANGUAGE = "zh-CN"

# Child order the schema requires (Word refuses a file whose elements are out of order).
_PPR_ORDER = [
    "pStyle",
    "keepNext",
    "keepLines",
    "pageBreakBefore",
    "framePr",
    "widowControl",
    "numPr",
    "suppressLineNumbers",
    "pBdr",
    "shd",
    "tabs",
    "suppressAutoHyphens",
    "kinsoku",
    "wordWrap",
    "overflowPunct",
    "topLinePunct",
    "autoSpaceDE",
    "autoSpaceDN",
    "bidi",
    "adjustRightInd",
    "snapToGrid",
    "spacing",
    "ind",
    "contextualSpacing",
    "mirrorIndents",
    "suppressOverlap",
    "jc",
    "textDirection",
    "textAlignment",
    "textboxTightWrap",
    "outlineLvl",
    "divId",
    "cnfStyle",
    "rPr",
    "sectPr",
    "pPrChange",
]
_TBLPR_ORDER = [
    "tblStyle",
    "tblpPr",
    "tblOverlap",
    "bidiVisual",
    "tblStyleRowBandSize",
    "tblStyleColBandSize",
    "tblW",
    "jc",
    "tblCellSpacing",
    "tblInd",
    "tblBorders",
    "shd",
    "tblLayout",
    "tblCellMar",
    "tblLook",
    "tblCaption",
    "tblDescription",
]
_TRPR_ORDER = [
    "cnfStyle",
    "divId",
    "gridBefore",
    "gridAfter",
    "wBefore",
    "wAfter",
    "cantSplit",
    "trHeight",
    "tblHeader",
    "tblCellSpacing",
    "jc",
    "hidden",
]


def _put(parent: Any, el: Any, order: list[str]) -> Any:
    """Insert ``el`` into ``parent`` where the schema wants it, replacing one of the same tag."""
    from docx.oxml.ns import qn

    name = el.tag.split("}")[1]
    for old in parent.findall(qn(f"w:{name}")):
        parent.remove(old)
    rank = order.index(name)
    for i, child in enumerate(parent):
        tag = child.tag.split("}")[1] if "}" in child.tag else child.tag
        if tag in order and order.index(tag) > rank:
            parent.insert(i, el)
            return el
    parent.append(el)
    return el


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


def set_language(doc: Any) -> None:
    """zh-CN for every run by default (docDefaults), so spelling and line breaking are Chinese."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    rpr = rpr_default.find(qn("w:rPr")) if rpr_default is not None else None
    if rpr is None:
        return
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)  # w:lang is the last but a few rare children of rPr
    for slot in ("w:val", "w:eastAsia"):
        lang.set(qn(slot), LANGUAGE)


def border(paragraph: Any, side: str, color: str = RED, eighths: int = 12, space: int = 1) -> None:
    """A line above or below a paragraph (``side`` top/bottom), ``eighths`` of a point thick."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = _put(ppr, OxmlElement("w:pBdr"), _PPR_ORDER)
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(eighths))
    line.set(qn("w:space"), str(space))
    line.set(qn("w:color"), color)
    _put(borders, line, ["top", "left", "bottom", "right", "between", "bar"])


def repeat_header(row: Any) -> None:
    """Repeat the row at the top of every page the table runs onto; never split a row."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "true")
        _put(trpr, el, _TRPR_ORDER)


def keep_row_together(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    _put(row._tr.get_or_add_trPr(), el, _TRPR_ORDER)


def fixed_layout(table: Any, widths_twips: list[int], margin_twips: int = 57) -> None:
    """Fixed column widths (a tblGrid and every cell) and narrow cell margins."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl = table._tbl
    tblpr = tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    _put(tblpr, layout, _TBLPR_ORDER)
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), str(sum(widths_twips)))
    width.set(qn("w:type"), "dxa")
    _put(tblpr, width, _TBLPR_ORDER)
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), str(margin_twips))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    _put(tblpr, margins, _TBLPR_ORDER)
    grid = tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_twips, strict=True):
        col.set(qn("w:w"), str(w))
