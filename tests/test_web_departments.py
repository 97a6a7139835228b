"""Department accounts on the real dashboard: a department user sees its own department's rows
and applications, and every other page, download or query answers 404 — the same 404 as a page
that does not exist, so nothing about other departments leaks. No exemption or decision rights;
its sessions end when its departments change; the users file keeps loading older lines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from disputehelpers import (
    DEPT_PASSWORD,
    DEPT_USER,
    OTHER_DEPT,
    PDF,
    login_department,
    make_department_dashboard,
    submit,
)
from starlette.routing import Route
from starlette.testclient import TestClient
from webhelpers import EVIL, LATE_DEPT, csrf_of, login

from slamon.core.disputes import check_attachment
from slamon.core.errors import InputError
from slamon.service import disputes
from slamon.service.exemptions import active_ids
from slamon.web.app import routes
from slamon.web.auth import NOT_FOUND
from slamon.web.users import add_user, credential_of, read_users

# The GET pages a department user may open (each scopes what it shows).
OWN_PAGES = ["/", f"/department?name={LATE_DEPT}", "/application?id=GZ-LATE-1", "/calendar"]
SCOPED = {"/", "/department", "/application", "/calendar", "/dispute/attachment"}
PUBLIC = {"/healthz", "/login", "/static"}
# Every query about another department's applications, through the pages that take one.
FOREIGN = [
    f"/department?name={OTHER_DEPT}",
    f"/department?name={EVIL}",
    "/department?name=没有这个部门",
    "/application?id=GZ-SOON-1",
    "/application?id=GZ-DONE-1",
    "/application?id=EVIL-1",
    "/application?id=NO-SUCH-ID",
    "/dispute/attachment?id={other}",
    "/dispute/attachment?id=999",
    "/dispute/attachment?id=abc",
    "/report?month=2024-10",
    *(f"/report/download?month=2024-10&format={f}" for f in ("docx", "xlsx", "csv", "md", "json")),
    "/digest",
    "/digest/view?week=2024-W41",
    "/quality",
    "/exemptions",
    "/exemptions?month=2024-10",
    "/disputes",
    "/disputes?status=all",
]


def closed_routes() -> list[str]:
    """Every GET route of the app but the scoped and public ones: each must be 404 for a
    department user, whatever its query (new routes are included by themselves)."""
    out = []
    for r in routes():
        if isinstance(r, Route) and "GET" in (r.methods or ()) and r.path not in SCOPED | PUBLIC:
            out.append(r.path)
    return out


@pytest.fixture
def dash(tmp_path: Path):  # noqa: ANN201
    d = make_department_dashboard(tmp_path)
    yield d
    d.engine.dispose()


@pytest.fixture
def dept(dash):  # noqa: ANN201
    with TestClient(dash.app()) as c:
        login_department(c)
        yield c


@pytest.mark.parametrize("path", OWN_PAGES)
def test_its_own_pages_open(dept, path: str) -> None:
    r = dept.get(path)
    assert r.status_code == 200, r.text[:300]
    assert f"{DEPT_USER}（{LATE_DEPT}）" in r.text  # who is logged in, and for whom


@pytest.mark.parametrize("path", FOREIGN)
def test_another_departments_pages_and_downloads_answer_404(dash, dept, path: str) -> None:
    pdf = check_attachment("不动产登记说明.pdf", PDF, 1 << 20)  # a real file: the 404 is the scope
    other = disputes.submit(
        dash.engine, dash.rt, "GZ-SOON-1", "自然资源厅的说明", "张三", _now(), attachment=pdf
    )
    r = dept.get(path.format(other=other.id))
    assert r.status_code == 404, (path, r.text[:300])
    assert NOT_FOUND in r.text
    for secret in (OTHER_DEPT, "GZ-SOON-1", "自然资源厅的说明", "不动产登记"):
        assert secret not in r.text, (path, secret)


@pytest.mark.parametrize("path", closed_routes())
def test_every_page_not_made_for_departments_answers_404(dept, path: str) -> None:
    assert dept.get(path).status_code == 404


def test_the_404_of_a_foreign_application_is_that_of_an_unknown_one(dept) -> None:
    foreign = dept.get("/application", params={"id": "GZ-SOON-1"})
    unknown = dept.get("/application", params={"id": "NO-SUCH-ID"})
    missing = dept.get("/no-such-page")
    assert foreign.status_code == unknown.status_code == missing.status_code == 404
    assert foreign.text == unknown.text
    assert NOT_FOUND in missing.text


def test_the_overview_shows_its_rows_only(dept) -> None:
    html = dept.get("/").text
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = body.split("<tr")[1:]
    assert len(rows) == 1 and LATE_DEPT in rows[0]
    assert OTHER_DEPT not in html and "&lt;script&gt;" not in html
    cards = html.split('<div class="cards">')[1].split("</div>\n</div>")[0]
    assert (
        '<div class="n">2</div><div class="l">未办结</div>' in cards
    )  # its 2, not the province's 4
    assert 'href="/report"' not in html and 'href="/quality"' not in html  # no closed links
    assert "本部门与全省" in html  # its own trend against the province's rate
    assert 'name="q"' not in html  # one department: no search box, no filter


def test_a_viewer_still_searches_and_filters(dash) -> None:
    with TestClient(dash.app()) as c:
        login(c, "viewer")
        assert 'name="q"' in c.get("/").text


def test_a_department_with_nothing_open_still_sees_its_row(dash) -> None:
    add_user(dash.rt.settings.web.users_file, "quiet", "department", DEPT_PASSWORD, ("省民政厅",))
    with TestClient(dash.app()) as c:
        login_department(c, "quiet")
        body = c.get("/").text.split("<tbody>")[1].split("</tbody>")[0]
        assert body.count("<tr") == 1 and "省民政厅" in body
        assert LATE_DEPT not in body


def test_it_has_no_exemption_or_decision_rights(dash, dept) -> None:
    d = disputes.submit(dash.engine, dash.rt, "GZ-LATE-1", "说明", "ggzy", _now())
    token = csrf_of(dept.get("/application", params={"id": "GZ-LATE-1"}).text)
    posts = {
        "/application/exempt": {"id": "GZ-LATE-1", "reason": "自己排除自己"},
        "/application/revoke": {"id": "GZ-LATE-1"},
        "/dispute/decide": {"id": str(d.id), "decision": "accept", "reason": "自己采纳"},
        "/report/feedback": {"month": "2024-09"},
        "/calendar/preview": {"notice": "通知"},
        "/calendar/apply": {"notice": "通知"},
    }
    for path, data in posts.items():
        r = dept.post(path, data={**data, "csrf": token}, follow_redirects=False)
        assert r.status_code == 403, path
    assert active_ids(dash.engine) == frozenset()
    assert disputes.get(dash.engine, dash.rt, d.id).status == "pending"


def test_viewers_and_operators_cannot_submit_a_departments_dispute(dash) -> None:
    for role in ("viewer", "operator"):
        with TestClient(dash.app()) as c:
            login(c, role)
            assert submit(c, "GZ-LATE-1", "代部门说明").status_code == 403
    assert disputes.list_disputes(dash.engine, dash.rt) == []


def test_a_change_of_its_departments_ends_its_session(dash, dept) -> None:
    assert dept.get("/").status_code == 200
    path = dash.rt.settings.web.users_file
    add_user(path, DEPT_USER, "department", DEPT_PASSWORD, (LATE_DEPT, OTHER_DEPT))
    r = dept.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_the_users_file_keeps_older_lines_and_refuses_broken_ones(tmp_path: Path) -> None:
    path = tmp_path / "users.txt"
    hashed = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
    path.write_text(
        f"alice:operator:{hashed}\n"  # a line written before department accounts
        f'ggzy:department:{hashed}:["省公共资源交易中心", "a:b 部门"]\n',
        encoding="utf-8",
    )
    users = read_users(path)
    assert users["alice"] == ("operator", hashed, ())
    assert users["ggzy"].departments == ("省公共资源交易中心", "a:b 部门")
    # an old line keeps the fingerprint its sessions were made with
    assert credential_of(*users["alice"]) == credential_of("operator", hashed)
    assert credential_of(*users["ggzy"]) != credential_of("department", hashed)
    for bad in (
        f"ggzy:department:{hashed}",  # a department account without departments
        f"ggzy:department:{hashed}:not-json",
        f"ggzy:department:{hashed}:[]",
        f'ggzy:viewer:{hashed}:["省水利厅"]',  # departments on another role
    ):
        path.write_text(bad + "\n", encoding="utf-8")
        with pytest.raises(InputError, match="第 1 行格式无效"):
            read_users(path)


def _now():  # noqa: ANN202
    from webhelpers import NOW

    return NOW


def _cli(run_cli, config, argv: list[str], monkeypatch, password: str = DEPT_PASSWORD):  # noqa: ANN001, ANN202
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return run_cli(argv, config=config)


def test_user_add_department_resolves_aliases_and_refuses_unknown_names(
    dash, run_cli, write_config, monkeypatch
) -> None:
    config = write_config({"aliases": {"交易中心": LATE_DEPT}, "departments": ["省水利厅"]})
    argv = ["user", "add", "ggzy2", "--role", "department", "--department", "交易中心"]
    r = _cli(run_cli, config, [*argv, "--department", "省水利厅"], monkeypatch)
    assert r.exit_code == 0, r.stderr
    assert f"已添加用户 ggzy2（部门：{LATE_DEPT}、省水利厅）" in r.stdout
    assert read_users(dash.rt.settings.web.users_file)["ggzy2"].departments == (
        LATE_DEPT,
        "省水利厅",
    )
    r = _cli(
        run_cli,
        config,
        ["user", "add", "x1", "--role", "department", "--department", "省自然资源所"],
        monkeypatch,
    )
    assert (
        r.exit_code == 1
        and r.stderr.strip() == "错误：部门“省自然资源所”不在数据和配置中，可能是“省自然资源厅”"
    )
    r = _cli(
        run_cli,
        config,
        ["user", "add", "x2", "--role", "department", "--department", "火星局"],
        monkeypatch,
    )
    assert (
        r.exit_code == 1
        and "部门“火星局”不在数据和配置中：请使用数据中的提供部门名称或已配置的别名" in r.stderr
    )
    r = _cli(run_cli, config, ["user", "add", "x3", "--role", "department"], monkeypatch)
    assert r.exit_code == 1 and "部门账号至少要指定一个部门（--department）" in r.stderr
    r = _cli(
        run_cli,
        config,
        ["user", "add", "x4", "--role", "viewer", "--department", LATE_DEPT],
        monkeypatch,
    )
    assert r.exit_code == 1 and "只有部门账号（--role department）可以指定 --department" in r.stderr
    assert {"x1", "x2", "x3", "x4"}.isdisjoint(read_users(dash.rt.settings.web.users_file))


def test_its_attachment_downloads_but_never_inline(dash, dept) -> None:
    r = submit(dept, "GZ-LATE-1", "附复函", ("复函 (盖章).pdf", PDF))
    assert r.status_code == 303
    [d] = disputes.list_disputes(dash.engine, dash.rt)
    got = dept.get("/dispute/attachment", params={"id": d.id})
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith(f"attachment; filename=\"dispute-{d.id}.pdf\"; filename*=UTF-8''")
    assert "%E5%A4%8D%E5%87%BD" in disposition  # 复函, percent-encoded
