"""核实排除 from the dashboard: only operators, only with the session's CSRF token; an exemption
changes the 月报 page's 存在问题 and shows on the 申请 and 核实排除 pages; revoking restores it."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient
from webhelpers import csrf_of, login, make_dashboard

from slamon.service.exemptions import active_ids


@pytest.fixture
def dash(tmp_path: Path):  # noqa: ANN201
    d = make_dashboard(tmp_path)
    yield d
    d.engine.dispose()


def _exempt(client: TestClient, csrf: str | None, reason: str = "经核实为平台录入错误") -> int:
    data = {"id": "GZ-LATE-1", "reason": reason}
    if csrf is not None:
        data["csrf"] = csrf
    return client.post("/application/exempt", data=data, follow_redirects=False).status_code


def test_a_viewer_may_not_exempt(dash) -> None:
    with TestClient(dash.app()) as c:
        login(c, "viewer")
        token = csrf_of(c.get("/").text)
        assert _exempt(c, token) == 403
    assert active_ids(dash.engine) == frozenset()


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_missing_or_wrong_csrf_token_is_refused(dash, token) -> None:
    with TestClient(dash.app()) as c:
        login(c, "operator")
        assert _exempt(c, token) == 403
    assert active_ids(dash.engine) == frozenset()


def test_another_sessions_token_is_refused(dash) -> None:
    with TestClient(dash.app()) as a, TestClient(dash.app()) as b:
        login(a, "operator")
        login(b, "operator")
        assert _exempt(a, csrf_of(b.get("/").text)) == 403
    assert active_ids(dash.engine) == frozenset()


def test_anonymous_exemption_is_refused(dash) -> None:
    with TestClient(dash.app()) as c:
        assert _exempt(c, "anything") == 401
    assert active_ids(dash.engine) == frozenset()


def test_an_operators_exemption_takes_the_application_out_of_the_overview(dash) -> None:
    with TestClient(dash.app()) as c:
        login(c, "operator")
        page = c.get("/application", params={"id": "GZ-LATE-1"}).text
        assert _exempt(c, csrf_of(page), reason="") == 400  # a reason is required
        r = c.post(
            "/application/exempt",
            data={"id": "GZ-LATE-1", "reason": "经核实为平台录入错误", "csrf": csrf_of(page)},
        )
        assert r.status_code == 200 and "已核实排除" in r.text and "撤销核实排除" in r.text
        assert active_ids(dash.engine) == frozenset({"GZ-LATE-1"})
        overview = c.get("/").text
        row = next(r for r in overview.split("<tr")[1:] if "省公共资源交易中心" in r)
        assert '<span class="badge red">1</span>' in row  # only GZ-LATE-2 is still late
        assert "1 件未办结申请已核实排除" in overview
        listing = c.get("/exemptions").text
        assert (
            "GZ-LATE-1" in listing and "经核实为平台录入错误" in listing and ">operator<" in listing
        )
        # revoking restores the accusation
        page = c.get("/application", params={"id": "GZ-LATE-1"}).text
        r = c.post(
            "/application/revoke",
            data={"id": "GZ-LATE-1", "reason": "复核后撤销", "csrf": csrf_of(page)},
        )
        assert r.status_code == 200 and "已撤销核实排除" in r.text
        assert active_ids(dash.engine) == frozenset()


def _problems(client: TestClient) -> str:
    html = client.get("/report", params={"month": "2024-10"}).text
    start = html.index('<p id="problems">')
    return html[start : html.index("</p>", start)]


def test_an_operators_exemption_changes_the_reports_problems(dash) -> None:
    with TestClient(dash.app()) as c:
        login(c, "operator")
        before = _problems(c)
        assert "工程类_招标项目" in before and "工程类-中标结果公告" in before
        page = c.get("/application", params={"id": "GZ-LATE-1"}).text
        r = c.post(
            "/application/exempt",
            data={"id": "GZ-LATE-1", "reason": "经核实为平台录入错误", "csrf": csrf_of(page)},
        )
        assert r.status_code == 200
        after = _problems(c)
        assert "工程类_招标项目" not in after and "工程类-中标结果公告" in after
        report = c.get("/report", params={"month": "2024-10"}).text
        appendix = report.split('id="exempted"')[1]
        assert "GZ-LATE-1" in appendix and "经核实为平台录入错误" in appendix
        assert "核实排除" in report.split('id="note"')[1].split("</p>")[0]
        page = c.get("/application", params={"id": "GZ-LATE-1"}).text
        c.post("/application/revoke", data={"id": "GZ-LATE-1", "csrf": csrf_of(page)})
        assert _problems(c) == before
