"""Markdown output escapes platform text: a resource name carrying ``<script>``, a department
name carrying ``**…**`` and ``|`` stay text in the rendered report, and tables keep their cells."""

from __future__ import annotations

import dataclasses

from markdown_it import MarkdownIt
from reporthelpers import PUB, TZ, december_records, figures

from slamon.adapters.render.text import DETAIL_HEADERS, render_markdown
from slamon.core.report_wording import build_report

HOSTILE_DEPT = "**省公共资源**|交易中心"
HOSTILE_RESOURCE = "<script>alert('x')</script>[链接](http://evil.example)_工程_"


def test_platform_text_is_inert_in_markdown(calendar, ruleset) -> None:
    records = [
        dataclasses.replace(r, provider_dept=HOSTILE_DEPT, resource_name=HOSTILE_RESOURCE)
        if r.provider_dept == PUB
        else r
        for r in december_records(calendar)
    ]
    md = render_markdown(build_report(figures(records, ruleset, calendar), ruleset, TZ))
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<strong>省公共资源" not in html and "**省公共资源**" in html
    assert 'href="http://evil.example"' not in html and "<em>工程" not in html
    table = html.split("<tbody>", 1)[1]
    for row in table.split("</tr>")[:-1]:
        assert row.count("<td>") == len(DETAIL_HEADERS)
    assert "|交易中心" in html  # the pipe is text inside its cell
