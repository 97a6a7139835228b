"""The dashboard through Starlette's test client over a real store: every page for a viewer,
login and its limits, escaping, access log, downloads."""

from __future__ import annotations

import io
import logging
import stat
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from webhelpers import EVIL, LATE_DEPT, PASSWORDS, login, make_dashboard

PAGES = [
    "/",
    "/?q=交易&only=late",
    f"/department?name={LATE_DEPT}",
    "/report?month=2024-10",
    "/report?month=2024-09",
    "/digest",
    "/digest?week=2024-W41",
    "/digest/view?week=2024-W41",
    "/quality",
    "/exemptions",
    "/exemptions?month=2024-10",
    "/application?id=GZ-LATE-1",
    "/application?id=EVIL-1",
    "/application?id=GZ-DONE-1",
]


@pytest.fixture
def dash(tmp_path: Path):  # noqa: ANN201
    d = make_dashboard(tmp_path)
    yield d
    d.engine.dispose()


@pytest.fixture
def client(dash):  # noqa: ANN201
    with TestClient(dash.app()) as c:
        yield c


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_for_a_viewer(client, path: str) -> None:
    login(client, "viewer")
    r = client.get(path)
    assert r.status_code == 200, r.text[:500]
    assert "text/html" in r.headers["content-type"]
    assert "script-src 'none'" in r.headers["content-security-policy"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_requests_go_to_the_login_page(client, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")
    assert "登录" in client.get(r.headers["location"]).text


def test_healthz_needs_no_login(client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_overview_shows_the_late_department_first_with_its_counts(client) -> None:
    login(client, "viewer")
    html = client.get("/").text
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert LATE_DEPT in rows[0]
    # 2 open, 0 due soon, 2 overdue; 2024-10-10 → 10-15 is 4 working days late (makeup Sat 12 Oct): escalated
    assert '<td class="n" data-label="未办结">2</td>' in rows[0]
    assert '<span class="badge red">2</span>' in rows[0]
    nat = next(r for r in rows if "省自然资源厅" in r)
    assert '<span class="badge yellow">1</span>' in nat and "100%" in nat
    filtered = client.get("/", params={"q": "自然"}).text
    assert "省自然资源厅" in filtered and LATE_DEPT not in filtered


def test_department_page_lists_open_applications_with_deadlines(client) -> None:
    login(client, "viewer")
    html = client.get("/department", params={"name": LATE_DEPT}).text
    assert "GZ-LATE-1" in html and "2024年10月10日" in html and "已超期" in html
    assert "未配置联系人" in html
    assert client.get("/department", params={"name": "没有这个部门"}).status_code == 404


def test_platform_text_arrives_escaped(client) -> None:
    login(client, "viewer")
    for path in ("/", "/report?month=2024-10", "/digest/view?week=2024-W41"):
        html = client.get(path).text
        assert EVIL not in html, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/").text
    dept = client.get("/department", params={"name": EVIL}).text
    assert EVIL not in dept and "&lt;script&gt;" in dept


def test_wrong_password_is_refused_and_logins_are_rate_limited(client) -> None:
    r = client.post("/login", data={"username": "viewer", "password": "wrong-password"})
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    for _ in range(4):
        client.post("/login", data={"username": "viewer", "password": "wrong-password"})
    # the sixth attempt is refused even with the right password
    r = client.post("/login", data={"username": "viewer", "password": PASSWORDS["viewer"]})
    assert r.status_code == 429
    # another user from the same address is not yet blocked (per-address limit is higher)
    login(client, "operator")


def test_login_rate_limit_per_address(dash) -> None:
    with TestClient(dash.app()) as c:
        for i in range(20):
            c.post("/login", data={"username": f"nobody{i}", "password": "x" * 10})
        r = c.post("/login", data={"username": "viewer", "password": PASSWORDS["viewer"]})
        assert r.status_code == 429


def test_session_cookie_flags_and_logout(client) -> None:
    r = client.post(
        "/login",
        data={"username": "viewer", "password": PASSWORDS["viewer"], "next": "/quality"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/quality"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    html = client.get("/").text
    from webhelpers import csrf_of

    assert client.post("/logout", data={"csrf": csrf_of(html)}).status_code == 200
    assert client.get("/", follow_redirects=False).status_code == 303


def test_secure_cookie_over_tls(dash) -> None:
    with TestClient(dash.app(), base_url="https://testserver") as c:
        r = c.post(
            "/login",
            data={"username": "viewer", "password": PASSWORDS["viewer"]},
            follow_redirects=False,
        )
        assert "secure" in r.headers["set-cookie"].lower()


def test_login_never_redirects_off_site(client) -> None:
    r = client.post(
        "/login",
        data={"username": "viewer", "password": PASSWORDS["viewer"], "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_tampered_cookie_is_not_a_session(client) -> None:
    login(client, "viewer")
    value = client.cookies.get("slamon_session")
    token, mac = value.split(".")
    for forged in (token + "." + mac[::-1], token[::-1] + "." + mac, token):
        client.cookies.clear()  # only the forged cookie is sent
        client.cookies.set("slamon_session", forged)
        assert client.get("/", follow_redirects=False).status_code == 303, forged
    client.cookies.clear()
    client.cookies.set("slamon_session", value)
    assert client.get("/", follow_redirects=False).status_code == 200


def test_secret_key_file_is_created_0600(dash) -> None:
    key = dash.rt.settings.web.secret_file
    assert not key.exists()
    dash.app()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(dash.rt.settings.web.users_file.stat().st_mode) == 0o600
    users = dash.rt.settings.web.users_file.read_text()
    assert "$argon2id$" in users and PASSWORDS["viewer"] not in users


def test_access_log_names_the_user(client, caplog) -> None:
    login(client, "viewer")
    with caplog.at_level(logging.INFO, logger="slamon.web.access"):
        client.get("/quality")
    line = [r.getMessage() for r in caplog.records if "path=/quality" in r.getMessage()][0]
    assert "user=viewer" in line and "status=200" in line


def test_report_downloads(client) -> None:
    login(client, "viewer")
    md = client.get("/report/download", params={"month": "2024-10", "format": "md"})
    assert md.status_code == 200 and "存在问题" in md.text
    assert "attachment" in md.headers["content-disposition"]
    docx = client.get("/report/download", params={"month": "2024-10", "format": "docx"})
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "存在问题" in text
    xlsx = client.get("/report/download", params={"month": "2024-10", "format": "xlsx"})
    assert xlsx.status_code == 200
    assert 'filename="report-2024-10.xlsx"' in xlsx.headers["content-disposition"]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.title == "附件 超期申请"
    assert client.get("/report/download", params={"format": "exe"}).status_code == 400


def test_report_page_prints_the_problems_as_the_report_does(client, dash) -> None:
    from webhelpers import NOW

    from slamon.service.reports import monthly_report

    login(client, "viewer")
    html = client.get("/report", params={"month": "2024-10"}).text
    expected = monthly_report(dash.engine, dash.rt, "2024-10", NOW).problems_text
    assert LATE_DEPT in expected
    import html as html_mod

    assert html_mod.escape(expected, quote=True) in html or expected in html
    assert 'href="/application?id=GZ-LATE-1"' in html


def test_application_page_shows_the_evidence(client) -> None:
    login(client, "viewer")
    html = client.get("/application", params={"id": "GZ-LATE-1"}).text
    assert "已超期" in html and "2024年10月10日24时" in html
    assert "国庆节" in html and "调休上班" in html  # days skipped and makeup days, with reasons
    assert "5 个工作日" in html and "收到当日不计入" in html
    assert "只有操作员可以核实排除" in html and 'action="/application/exempt"' not in html
    assert client.get("/application", params={"id": "NO-SUCH"}).status_code == 404


def test_quality_page_lists_data_issues_and_rejected_rows(tmp_path) -> None:
    from storehelpers import record
    from webhelpers import NOW, dashboard_records

    from slamon.adapters.sources.base import FetchResult, RawRow
    from slamon.service.poll import apply_fetch

    d = make_dashboard(tmp_path)
    twin = record("GZ-TWIN-1", "2024-10-08 09:00")
    rows = [
        RawRow("GZ-TWIN-1", twin.as_dict()),
        RawRow("GZ-TWIN-1", {**twin.as_dict(), "resource_name": "另一个资源"}),
        RawRow(
            "row-9",
            {**dashboard_records()[0].as_dict(), "application_id": "BAD-1", "share_type": "半共享"},
        ),
    ]
    apply_fetch(d.engine, d.rt, "test", FetchResult(rows=rows), NOW)
    with TestClient(d.app()) as c:
        login(c, "viewer")
        html = c.get("/quality").text
        assert "GZ-TWIN-1" in html and "同一编号内容冲突" in html
        assert "row-9" in html and "share_type" in html
        overview = c.get("/").text
        assert "1 行记录被拒收，1 件申请数据存疑" in overview
    d.engine.dispose()


def test_quality_page_suggests_the_known_name_for_a_misspelt_department(tmp_path) -> None:
    from storehelpers import record
    from webhelpers import dashboard_records

    typo = record("GZ-TYPO-1", "2024-10-08 09:00", provider_dept="省公共资源交易中")
    d = make_dashboard(
        tmp_path,
        [*dashboard_records(), typo],
        contacts={LATE_DEPT: ["jyzx@example.gov.cn"]},
    )
    with TestClient(d.app()) as c:
        login(c, "viewer")
        html = c.get("/quality").text
        table = html.split('id="unknown"')[1].split("</table>")[0]
        assert "省公共资源交易中<" in table and f"{LATE_DEPT}<" in table
    d.engine.dispose()


def test_a_user_removed_from_the_file_loses_the_session(client, dash) -> None:
    login(client, "viewer")
    assert client.get("/", follow_redirects=False).status_code == 200
    users = dash.rt.settings.web.users_file
    users.write_text(
        "".join(
            line + "\n" for line in users.read_text().splitlines() if not line.startswith("viewer:")
        )
    )
    assert client.get("/", follow_redirects=False).status_code == 303


def test_no_password_in_the_logs(client, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        client.post("/login", data={"username": "viewer", "password": "not-the-password"})
        login(client, "viewer")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "web.login_failed user=viewer" in text and "web.login user=viewer" in text
    assert "not-the-password" not in text and PASSWORDS["viewer"] not in text
