"""The 节假日安排 page: a viewer sees every year's source; an operator pastes the State Council's
notice, sees the changes (日期, 原为, 改为) or one refusal line, and confirms — the year's file is
written into the site's rules/calendar/ and the running dashboard's runtime uses it at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from calendarhelpers import FICTITIOUS_2027
from starlette.testclient import TestClient
from storehelpers import at, ingest_records, record
from webhelpers import csrf_of, login, make_dashboard

NUMBER = "国办发明电〔2026〕99号"


@pytest.fixture
def dash(tmp_path: Path):  # noqa: ANN201
    (tmp_path / "site").mkdir()
    d = make_dashboard(tmp_path, rules={"dir": str(tmp_path / "site"), "active": ["guizhou-2023"]})
    yield d
    d.engine.dispose()


def year_file(dash) -> Path:  # noqa: ANN001
    return dash.tmp / "site" / "calendar" / "2027.yaml"


def rows(html: str, table: str) -> list[list[str]]:
    """The cells of ``table``'s body rows, tags stripped."""
    body = html.split(f'<table id="{table}">', 1)[1].split("</table>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    ]


def preview(c: TestClient, text: str):  # noqa: ANN201
    return c.post(
        "/calendar/preview", data={"csrf": csrf_of(c.get("/calendar").text), "notice": text}
    )


def test_a_viewer_sees_each_years_source_and_no_import_form(dash) -> None:
    with TestClient(dash.app()) as c:
        assert c.get("/calendar", follow_redirects=False).status_code == 303  # login first
        login(c, "viewer")
        page = c.get("/calendar?year=2024")
        assert page.status_code == 200
        assert '<a href="/calendar" class="active">节假日安排</a>' in page.text
        years = {r[0]: r for r in rows(re.sub(r"</?a[^>]*>", "", page.text), "years")}
        assert years["2024"][1] == "官方" and "holidays" in years["2024"][2]
        assert years["2027"][1] == "非官方" and "仅按周末和法定节日推算" in years["2027"][2]
        assert ["2024-10-01", "周二", "国庆节"] in rows(page.text, "holidays")
        assert "2024-10-12（周六）" in page.text  # a makeup Saturday
        assert 'id="preview-form"' not in page.text
        token = csrf_of(page.text)
        r = c.post("/calendar/preview", data={"csrf": token, "notice": FICTITIOUS_2027})
        assert r.status_code == 403
        r = c.post("/calendar/apply", data={"csrf": token, "notice": FICTITIOUS_2027})
        assert r.status_code == 403
    assert not year_file(dash).exists()


def test_preview_shows_the_changes_and_writes_nothing(dash) -> None:
    with TestClient(dash.app()) as c:
        login(c, "operator")
        r = preview(c, FICTITIOUS_2027)
        assert r.status_code == 200
        changes = rows(r.text, "changes")
        assert ["2027-01-31", "周日", "休息日", "工作日", "调休上班"] in changes
        assert ["2027-02-05", "周五", "休息日", "工作日", "不再放假"] in changes
        assert ["2027-02-09", "周二", "工作日", "休息日", "春节"] in changes
        assert NUMBER in r.text and 'name="replace"' not in r.text
        assert 'id="apply-form"' in r.text
    assert not year_file(dash).exists()


def test_a_tampered_notice_is_one_refusal_line(dash) -> None:
    tampered = FICTITIOUS_2027.replace("共8天", "共9天")
    with TestClient(dash.app()) as c:
        login(c, "operator")
        r = preview(c, tampered)
        assert r.status_code == 400
        [line] = re.findall(r'<div class="bad" id="refusal">(.*?)</div>', r.text, re.S)
        assert "\n" not in line and "共9天" in line and "8" in line
        assert 'id="apply-form"' not in r.text
        assert preview(c, "  ").status_code == 400
        token = csrf_of(c.get("/calendar").text)
        assert (
            c.post("/calendar/apply", data={"csrf": token, "notice": tampered}).status_code == 400
        )
        assert c.post("/calendar/apply", data={"notice": FICTITIOUS_2027}).status_code == 403
    assert not year_file(dash).exists()


def test_confirming_writes_the_year_and_the_running_runtime_uses_it(dash) -> None:
    rt = dash.rt
    ingest_records(dash.engine, rt, [record("A1", "2027-02-01 10:00")], at("2027-02-03 10:00"))
    assert not rt.calendar.is_official(2027)
    with TestClient(dash.app()) as c:
        login(c, "operator")
        form = preview(c, FICTITIOUS_2027).text
        # the confirmation posts the text shown, read again on the server
        shown = re.search(
            r'<textarea name="notice" rows="6" readonly[^>]*>(.*?)</textarea>', form, re.S
        )
        assert shown and shown.group(1) == FICTITIOUS_2027
        r = c.post(
            "/calendar/apply",
            data={"csrf": csrf_of(form), "notice": FICTITIOUS_2027.replace("\n", "\r\n")},
            follow_redirects=False,
        )
        assert (r.status_code, r.headers["location"]) == (303, "/calendar?year=2027")
        page = c.get("/calendar?year=2027").text
        [message] = re.findall(r'<div class="notice" id="message">(.*?)</div>', page, re.S)
        assert f"写入 {year_file(dash)}" in message and "2027 年现为官方安排" in message
        assert '<span class="badge green">官方</span>' in page and NUMBER in page
        assert ["2027-02-13", "周六", "春节"] in rows(page, "holidays")
        assert 'id="message"' not in c.get("/calendar?year=2027").text  # shown once
    assert year_file(dash).exists() and rt.calendar.is_official(2027)
    # the next poll of this process re-evaluates on the new calendar and says what moved
    s = ingest_records(dash.engine, rt, [], at("2027-02-03 11:00"))
    assert s.notes[0].startswith("因 2027 年节假日安排更新，1 件申请的答复期限改变")


def test_a_different_notice_for_an_official_year_needs_the_replace_box(dash) -> None:
    moved = FICTITIOUS_2027.replace(
        "6月12日（周六）至14日（周一）", "6月19日（周六）至21日（周一）"
    )
    with TestClient(dash.app()) as c:
        login(c, "operator")
        form = preview(c, FICTITIOUS_2027).text
        c.post("/calendar/apply", data={"csrf": csrf_of(form), "notice": FICTITIOUS_2027})
        original = year_file(dash).read_text(encoding="utf-8")
        r = preview(c, moved)
        assert r.status_code == 200 and 'name="replace"' in r.text
        assert ["2027-06-14", "周一", "休息日", "工作日", "不再放假"] in rows(r.text, "changes")
        token = csrf_of(r.text)
        refused = c.post("/calendar/apply", data={"csrf": token, "notice": moved})
        assert refused.status_code == 400
        [line] = re.findall(r'<div class="bad" id="refusal">(.*?)</div>', refused.text, re.S)
        assert "2027-06-14" in line and "勾选" in line and "--replace" not in line
        assert year_file(dash).read_text(encoding="utf-8") == original
        done = c.post(
            "/calendar/apply",
            data={"csrf": token, "notice": moved, "replace": "1"},
            follow_redirects=False,
        )
        assert done.status_code == 303
    assert "to: 2027-06-21" in year_file(dash).read_text(encoding="utf-8")
    assert not dash.rt.calendar.is_working_day(at("2027-06-21 10:00").date())
