"""The trend charts where people see them: PNGs with Chinese labels (a CJK font from the OS),
the weekly digest mail through a real SMTP server with its pictures inline by Content-ID, the
dashboard pages with each picture's numbers in a table."""

from __future__ import annotations

import datetime as dt
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from reporthelpers import at, december_records
from storehelpers import ingest_records, make_runtime

from slamon.adapters.render import charts
from slamon.adapters.render.trend_charts import backlog_chart, department_chart, ontime_chart
from slamon.adapters.store.db import open_store
from slamon.core.errors import FontError
from slamon.service.delivery import deliver_due
from slamon.service.reports import queue_weekly_digest_if_due
from slamon.service.trends import history

PNG = b"\x89PNG\r\n\x1a\n"
try:
    charts.cjk_font()
    HAVE_FONT = True
except FontError:
    HAVE_FONT = False
needs_font = pytest.mark.skipif(
    not HAVE_FONT and os.environ.get("CI") != "true",
    reason="no CJK font installed (apt-get install fonts-wqy-microhei); under CI=true it must be",
)


def test_no_font_is_a_typed_error_naming_the_package(tmp_path: Path, monkeypatch) -> None:
    from matplotlib import font_manager

    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    with pytest.raises(FontError) as e:
        charts.cjk_font.__wrapped__((str(tmp_path / "none.ttc"),))
    assert e.value.package == "fonts-wqy-microhei"
    assert "apt-get install fonts-wqy-microhei" in str(e.value) and "\n" not in str(e.value)


@needs_font
def test_a_chart_is_a_png_drawn_with_a_cjk_font() -> None:
    font = charts.cjk_font()
    assert font.is_file()
    png = charts.line_chart(
        "按时答复率", ["2024-11", "2024-12"], [charts.Series("全省", (0.5, None))]
    )
    assert png.startswith(PNG) and len(png) > 2000


@pytest.fixture
def store(tmp_path: Path, calendar):  # noqa: ANN201
    rt = make_runtime(tmp_path, supervisors=["dsj@example.gov.cn"])
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    ingest_records(engine, rt, december_records(calendar), at(dt.date(2025, 1, 6), 8))
    yield engine, rt
    engine.dispose()


@needs_font
def test_each_chart_has_its_numbers_and_alt_text(store) -> None:
    engine, rt = store
    t = history(engine, rt, at(dt.date(2025, 1, 6), 8), months=3, weeks=4)
    for c in (ontime_chart(t), backlog_chart(t), department_chart(t, "省公共资源交易中心")):
        assert c.png.startswith(PNG) and c.problem is None
        assert c.alt.startswith(("折线图", "柱状图")) and c.title in c.alt
        assert len(c.rows) == (4 if c.key == "backlog" else 3)
    dec = ontime_chart(t).rows[-2]
    p = t.months[-2].province
    assert dec == ("2024-12", str(p.answered), str(p.on_time), f"{p.on_time_rate * 100:.1f}%")


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "img":
            self.srcs.append(dict(attrs)["src"])


@needs_font
def test_digest_mail_shows_the_charts_inline_by_content_id(
    tmp_path: Path, calendar, smtp_server
) -> None:
    rt = make_runtime(tmp_path, supervisors=["dsj@example.gov.cn"], smtp=smtp_server.smtp_config())
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    ingest_records(engine, rt, december_records(calendar), at(dt.date(2025, 1, 6), 8))
    assert queue_weekly_digest_if_due(engine, rt, at(dt.date(2025, 1, 6), 9, 30)) is True
    deliver_due(engine, rt, at(dt.date(2025, 1, 6), 9, 35), "test")
    (got,) = smtp_server.to("dsj@example.gov.cn")
    (tmp_path / "digest.eml").write_bytes(got.raw)
    if os.environ.get("SLAMON_KEEP_EML"):
        Path(os.environ["SLAMON_KEEP_EML"]).write_bytes(got.raw)
    msg = got.message
    assert msg.get_content_type() == "multipart/related"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    images = {
        p["Content-ID"].strip("<>"): p.get_content()
        for p in msg.walk()
        if p.get_content_type() == "image/png"
    }
    parser = _Images()
    parser.feed(html)
    assert sorted(parser.srcs) == sorted(f"cid:{cid}" for cid in images) and len(images) == 2
    assert all(data.startswith(PNG) for data in images.values())
    assert all(re.search(r'alt="(折线图|柱状图)', html) for _ in images)
    # the numbers stay readable as text, whatever the client does with pictures
    assert "全省按时答复率（近12个月）" in text and "2024-12｜" in text
    assert "未办结与超期申请（近12周，每周末）" in text
    engine.dispose()


@needs_font
def test_dashboard_pages_show_the_charts_with_tables(tmp_path: Path) -> None:
    from starlette.testclient import TestClient
    from webhelpers import LATE_DEPT, login, make_dashboard

    board = make_dashboard(tmp_path)
    client = TestClient(board.app())
    login(client, "viewer")
    html = client.get("/").text
    assert 'id="chart-ontime"' in html and 'id="chart-backlog-data"' in html
    assert html.count('src="data:image/png;base64,') == 2 and 'alt="折线图' in html
    dept = client.get("/department", params={"name": LATE_DEPT}).text
    assert 'id="chart-dept-ontime-data"' in dept and "全省按时率" in dept
    assert dept.count('src="data:image/png;base64,') == 1
    board.engine.dispose()


@needs_font
def test_docx_appendix_figure_only_with_report_charts(calendar, ruleset) -> None:
    import dataclasses

    from reporthelpers import TZ

    from slamon.adapters.render.docx import build_docx
    from slamon.core.periods import Month
    from slamon.core.report_figures import monthly_figures
    from slamon.core.report_wording import build_report
    from slamon.core.trends import Trends, monthly_history

    records = december_records(calendar)
    dec = Month(2024, 12)
    f = monthly_figures(records, dec, dec.end(TZ), ruleset, calendar, TZ)
    plain = build_report(f, ruleset, TZ)
    trend = Trends(
        monthly_history(records, [Month(2024, 11), dec], dec.end(TZ), ruleset, calendar, TZ)
    )
    with_chart = dataclasses.replace(plain, trend=trend)
    assert len(build_docx(plain).inline_shapes) == 0
    doc = build_docx(with_chart)
    assert len(doc.inline_shapes) == 1
    texts = [p.text for p in doc.paragraphs]
    assert any(t.endswith("全省按时答复率（近2个月）") and t.startswith("附") for t in texts)
    assert doc.tables[-1].rows[-1].cells[0].text == "2024-12"
