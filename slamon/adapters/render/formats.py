"""The monthly report's formats, in one registry keyed by name: the CLI (``--format``), the web
download (``?format=``) and the report files (``report.formats``) all look a format up here.

``text`` is the plain-text format; ``txt`` (its file extension) is accepted as its name too. The
DOCX and XLSX libraries are imported only when those formats are rendered.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass

from slamon.core.errors import InputError
from slamon.core.formats import localize_json
from slamon.core.report_wording import MonthlyReport


@dataclass(frozen=True)
class ReportFormat:
    name: str
    ext: str  # the file extension (report-2024-12.<ext>)
    media_type: str
    render: Callable[[MonthlyReport, bool], bytes]  # (report, problems_only) -> file content
    binary: bool = False  # written to a file, never printed


def _text(r: MonthlyReport, problems_only: bool) -> bytes:
    from slamon.adapters.render.text import render_text

    return render_text(r, problems_only).encode("utf-8")


def _markdown(r: MonthlyReport, problems_only: bool) -> bytes:
    from slamon.adapters.render.text import render_markdown

    return render_markdown(r, problems_only).encode("utf-8")


def _json(r: MonthlyReport, problems_only: bool) -> bytes:
    """Every moment in the configured zone, whatever the store returned."""
    from slamon.adapters.render.text import report_json

    data = localize_json(report_json(r, problems_only), r.tz)
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _docx(r: MonthlyReport, problems_only: bool) -> bytes:
    from slamon.adapters.render.docx import build_docx

    buf = io.BytesIO()
    build_docx(r, problems_only).save(buf)
    return buf.getvalue()


def _xlsx(r: MonthlyReport, _problems_only: bool) -> bytes:
    from slamon.adapters.render.xlsx import report_xlsx_bytes

    return report_xlsx_bytes(r)


_OOXML = "application/vnd.openxmlformats-officedocument"
REPORT_FORMATS: dict[str, ReportFormat] = {
    f.name: f
    for f in (
        ReportFormat("text", "txt", "text/plain; charset=utf-8", _text),
        ReportFormat("md", "md", "text/markdown; charset=utf-8", _markdown),
        ReportFormat("json", "json", "application/json", _json),
        ReportFormat("docx", "docx", f"{_OOXML}.wordprocessingml.document", _docx, binary=True),
        ReportFormat("xlsx", "xlsx", f"{_OOXML}.spreadsheetml.sheet", _xlsx, binary=True),
    )
}
_ALIASES = {"txt": "text", "markdown": "md"}


def report_format(name: str) -> ReportFormat:
    """The format called ``name`` (case and spaces ignored); InputError naming the choices."""
    key = name.strip().lower()
    found = REPORT_FORMATS.get(_ALIASES.get(key, key))
    if found is None:
        choices = "、".join(REPORT_FORMATS)
        raise InputError(f"不支持的报告格式 {name!r}（可用：{choices}）")
    return found
