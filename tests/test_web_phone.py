"""Phone width: the tables that carry key columns are stacked (every cell labelled, CSS only),
the digest frame is fluid up to its fixed maximum, and the report's month picker offers every
month with stored data and shows the requested one as selected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from storehelpers import at, record
from webhelpers import LATE_DEPT, dashboard_records, login, make_dashboard

from slamon.core.periods import Month

STATIC = Path(__file__).resolve().parent.parent / "slamon" / "web" / "static" / "app.css"


@pytest.fixture
def dash(tmp_path: Path):  # noqa: ANN201
    old = record(  # two years before the dashboard's clock (2024-10-15)
        "GZ-OLD-1", "2022-09-05 10:00", submitted_at=at("2022-09-01 09:00"), reviewed_at=None
    )
    d = make_dashboard(tmp_path, [*dashboard_records(), old])
    yield d
    d.engine.dispose()


@pytest.fixture
def client(dash):  # noqa: ANN201
    with TestClient(dash.app()) as c:
        login(c, "viewer")
        yield c


def _options(html: str) -> tuple[list[str], list[str]]:
    picker = html[html.index('<select name="month"') : html.index("</select>")]
    values = re.findall(r'<option value="([^"]+)"', picker)
    selected = re.findall(r'<option value="([^"]+)" selected', picker)
    return values, selected


def test_the_month_picker_reaches_back_to_the_earliest_stored_month(client) -> None:
    values, selected = _options(client.get("/report", params={"month": "2022-09"}).text)
    assert selected == ["2022-09"]
    assert values[0] == "2024-10" and values[-1] == "2022-09"  # the clock's month, then back
    assert len(values) == 26 and len(set(values)) == 26  # every month in between, once
    assert values == sorted(values, reverse=True)


def test_a_month_outside_the_stored_span_is_still_the_selected_one(client) -> None:
    values, selected = _options(client.get("/report", params={"month": "2021-03"}).text)
    assert selected == ["2021-03"] and values[-1] == "2021-03"
    values, selected = _options(client.get("/report").text)  # default: the clock's month
    assert selected == ["2024-10"] and "2022-09" in values


def test_report_months_with_an_empty_store_is_the_current_month(tmp_path: Path) -> None:
    from slamon.service.reports import report_months

    d = make_dashboard(tmp_path, [])
    try:
        assert report_months(d.engine, d.rt, at("2024-10-15 10:00")) == [Month(2024, 10)]
    finally:
        d.engine.dispose()


@pytest.mark.parametrize(
    ("path", "table", "labels"),
    [
        ("/", "overview", ["未办结", "即将到期", "已超期", "督办", "本月按时率"]),
        (f"/department?name={LATE_DEPT}", "open", ["资源名称", "起算时间", "答复期限", "阶段"]),
        ("/report?month=2024-10", "late", ["提供部门", "资源名称", "申请编号", "答复期限", "情况"]),
    ],
)
def test_key_columns_are_labelled_for_the_stacked_phone_layout(client, path, table, labels):
    html = client.get(path).text
    body = html[html.index(f'<table id="{table}" class="stack">') :]
    row = body[body.index("<tbody>") : body.index("</tr>", body.index("<tbody>"))]
    for label in labels:  # every key column keeps its label, and none of them is hidden
        assert re.search(rf'<td(?![^>]*hide-sm)[^>]*data-label="{label}"', row), (label, row)


@pytest.mark.parametrize(
    ("path", "table"), [("/", "overview"), (f"/department?name={LATE_DEPT}", "open")]
)
def test_the_row_key_heads_its_stacked_row(client, path, table):
    html = client.get(path).text
    body = html[html.index(f'<table id="{table}" class="stack">') :]
    row = body[body.index("<tbody>") : body.index("</tr>", body.index("<tbody>"))]
    assert re.search(r'<tr class="\w+">\s*<td class="key">', row), row


def test_the_stylesheet_stacks_those_tables_on_a_phone_without_script() -> None:
    css = STATIC.read_text(encoding="utf-8")
    phone = css[css.rindex("@media (max-width: 640px)") :]
    assert "table.stack thead { display:none; }" in phone
    assert "content:attr(data-label)" in phone


def test_the_digest_frame_is_fluid_up_to_a_fixed_width(client) -> None:
    html = client.get("/digest/view", params={"week": "2024-W41"}).text
    frame = re.search(r'<table role="presentation" width="100%"[^>]*max-width:900px[^>]*>', html)
    assert frame and "width:100%" in frame.group(0)
    assert '<!--[if mso]><table role="presentation" width="900"' in html  # Outlook's fixed width
    assert 'width="900"' not in html.replace(
        '<!--[if mso]><table role="presentation" width="900"', ""
    )
