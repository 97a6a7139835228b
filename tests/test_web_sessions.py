"""Dashboard sessions live in the store and really end: at logout, when the password or role
changes, when the user is removed (and a name added again never revives an old cookie), and by
``slamon user sessions --revoke``; messages after an action come from the session, not the URL."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from webhelpers import NOW, PASSWORDS, csrf_of, login, make_dashboard

from slamon.adapters.store.db import open_store
from slamon.service import web_sessions as service
from slamon.web.users import add_user, credential_of, read_users


@pytest.fixture
def dash(tmp_path: Path):  # noqa: ANN201
    d = make_dashboard(tmp_path)
    yield d
    d.engine.dispose()


def logged_in(dash, role: str = "viewer") -> tuple[TestClient, str]:
    """A client logged in as ``role`` and its session cookie."""
    c = TestClient(dash.app())
    login(c, role)
    return c, c.cookies["slamon_session"]


def opens(dash, cookie: str) -> bool:
    """Does ``cookie`` alone open the overview (rather than send to the login page)?"""
    with TestClient(dash.app(), cookies={"slamon_session": cookie}) as c:
        r = c.get("/", follow_redirects=False)
    assert r.status_code in (200, 303)
    if r.status_code == 303:
        assert r.headers["location"].startswith("/login")
    return r.status_code == 200


def cli_config(write_config) -> Path:
    """A config.yaml for the CLI over the dashboard's store and users file (both defaults)."""
    return write_config({})


def test_logout_ends_the_session(dash) -> None:
    c, cookie = logged_in(dash)
    assert opens(dash, cookie)
    assert c.post("/logout", data={"csrf": csrf_of(c.get("/").text)}).status_code == 200
    assert not opens(dash, cookie)
    [s] = service.list_sessions(dash.engine, NOW, live_only=False)
    assert s.revoked_reason == service.LOGOUT and s.status(NOW) == "revoked"


def test_a_password_change_ends_the_users_sessions(dash, run_cli, write_config, monkeypatch):
    config = cli_config(write_config)
    _, viewer = logged_in(dash, "viewer")
    _, operator = logged_in(dash, "operator")
    monkeypatch.setattr("sys.stdin", io.StringIO("a-new-password-1\n"))
    r = run_cli(["user", "add", "viewer", "--role", "viewer"], config=config)
    assert r.exit_code == 0, r.stderr
    assert "已更新" in r.stdout and "已结束其 1 个会话" in r.stdout
    assert not opens(dash, viewer)
    assert opens(dash, operator)  # another user's session is untouched
    ended = [s for s in service.list_sessions(dash.engine, NOW, live_only=False) if s.revoked_at]
    assert [(s.user, s.revoked_reason) for s in ended] == [("viewer", service.CREDENTIAL)]


def test_a_change_made_in_the_file_alone_ends_the_session(dash) -> None:
    """Even without the store being told (the file edited or written by hand), a session is
    bound to the credential it logged in with."""
    _, cookie = logged_in(dash, "operator")
    add_user(dash.rt.settings.web.users_file, "operator", "viewer", PASSWORDS["operator"])
    assert not opens(dash, cookie)  # a role change, same password


def test_remove_then_add_again_never_revives_an_old_cookie(
    dash, run_cli, write_config, monkeypatch
):
    config = cli_config(write_config)
    _, cookie = logged_in(dash, "viewer")
    r = run_cli(["user", "remove", "viewer"], config=config)
    assert r.exit_code == 0, r.stderr
    assert "已删除用户 viewer" in r.stdout and "已结束其 1 个会话" in r.stdout
    assert "viewer" not in read_users(dash.rt.settings.web.users_file)
    assert not opens(dash, cookie)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORDS["viewer"] + "\n"))
    r = run_cli(["user", "add", "viewer", "--role", "viewer"], config=config)
    assert r.exit_code == 0 and "已添加" in r.stdout
    assert not opens(dash, cookie)  # the same name and password: still a new user
    _, fresh = logged_in(dash, "viewer")
    assert opens(dash, fresh)
    r = run_cli(["user", "remove", "nobody"], config=config)
    assert r.exit_code == 1 and "没有用户 nobody" in r.stderr


def test_an_old_cookie_is_refused_after_remove_and_add_even_unrevoked(dash) -> None:
    users = dash.rt.settings.web.users_file
    _, cookie = logged_in(dash, "viewer")
    kept = [line for line in users.read_text().splitlines() if not line.startswith("viewer:")]
    users.write_text("\n".join(kept) + "\n")  # removed by hand: the store is not told
    add_user(users, "viewer", "viewer", PASSWORDS["viewer"])
    assert not opens(dash, cookie)


def test_user_sessions_lists_and_revokes(dash, run_cli, write_config) -> None:
    config = cli_config(write_config)
    _, viewer = logged_in(dash, "viewer")
    _, operator = logged_in(dash, "operator")
    now = ["--now", NOW.isoformat()]
    r = run_cli(["user", "sessions", *now], config=config)
    assert r.exit_code == 0, r.stderr
    assert "看板会话（2 个）" in r.stdout and "viewer" in r.stdout and "有效" in r.stdout
    listed = json.loads(run_cli(["user", "sessions", "--json", *now], config=config).stdout)
    assert [(s["user"], s["status"], s["client"]) for s in listed] == [
        ("viewer", "live", "testclient"),
        ("operator", "live", "testclient"),
    ]
    r = run_cli(["user", "sessions", "--revoke", str(listed[0]["id"]), *now], config=config)
    assert r.exit_code == 0 and "已结束会话" in r.stdout and "viewer" in r.stdout
    assert not opens(dash, viewer) and opens(dash, operator)
    r = run_cli(["user", "sessions", "--revoke", str(listed[0]["id"]), *now], config=config)
    assert r.exit_code == 1 and "没有编号为" in r.stderr  # already ended
    r = run_cli(["user", "sessions", "--revoke-user", "operator", *now], config=config)
    assert r.exit_code == 0 and "已结束用户 operator 的 1 个会话" in r.stdout
    assert not opens(dash, operator)
    r = run_cli(["user", "sessions", *now], config=config)
    assert "没有有效的看板会话" in r.stdout
    r = run_cli(["user", "sessions", "--all", *now], config=config)
    assert "已撤销（管理员撤销）" in r.stdout
    # twelve hours later the sessions have expired on their own
    later = (NOW + dt.timedelta(hours=13)).isoformat()
    logged_in(dash, "viewer")
    r = run_cli(["user", "sessions", "--json", "--now", later], config=config)
    assert json.loads(r.stdout) == []


def test_the_message_after_an_action_comes_from_the_session(dash) -> None:
    with TestClient(dash.app()) as c:
        login(c, "operator")
        page = c.get("/application", params={"id": "GZ-LATE-1"}).text
        r = c.post(
            "/application/exempt",
            data={"id": "GZ-LATE-1", "reason": "经核实为平台录入错误", "csrf": csrf_of(page)},
            follow_redirects=False,
        )
        assert r.status_code == 303 and "msg" not in r.headers["location"]
        shown = c.get(r.headers["location"]).text
        assert '<div class="notice" id="message">已核实排除</div>' in shown
        assert 'id="message"' not in c.get(r.headers["location"]).text  # shown once
        injected = c.get("/application", params={"id": "GZ-LATE-1", "msg": "请致电 400-000"}).text
        assert "请致电" not in injected and 'id="message"' not in injected
        # a message is for the page it was left for: another application's page drops it
        page = c.get("/application", params={"id": "GZ-LATE-1"}).text
        r = c.post(
            "/application/revoke",
            data={"id": "GZ-LATE-1", "csrf": csrf_of(page)},
            follow_redirects=False,
        )
        assert 'id="message"' not in c.get("/application", params={"id": "GZ-LATE-2"}).text
        assert 'id="message"' not in c.get(r.headers["location"]).text


def test_sessions_in_each_store(store_url) -> None:
    engine = open_store(store_url)
    at = dt.datetime(2024, 10, 15, 10, 0, 0, 123456, tzinfo=dt.UTC)
    try:
        cred = credential_of("viewer", "$argon2id$x")
        new = service.start_session(engine, "张三", cred, "2001:db8::1", at)
        found = service.live_session(engine, new.token, at + dt.timedelta(hours=1))
        assert found is not None and found.user == "张三" and found.credential == cred
        assert found.csrf == new.session.csrf and found.id == new.session.id
        assert service.live_session(engine, new.token + "x", at) is None
        expiry = at + dt.timedelta(seconds=service.SESSION_SECONDS)
        assert service.live_session(engine, new.token, expiry) is None  # expired
        service.set_flash(engine, found.id, "已核实排除")
        assert service.live_session(engine, new.token, at).flash == "已核实排除"
        assert service.take_flash(engine, found.id) == "已核实排除"
        assert service.take_flash(engine, found.id) is None
        # a user's oldest session ends when the cap is passed
        more = [
            service.start_session(engine, "张三", cred, "10.0.0.1", at + dt.timedelta(seconds=i))
            for i in range(1, service.MAX_LIVE_PER_USER + 1)
        ]
        assert service.live_session(engine, new.token, at + dt.timedelta(minutes=1)) is None
        assert service.live_session(engine, more[0].token, at + dt.timedelta(minutes=1))
        assert (
            service.end_user_sessions(engine, "张三", at + dt.timedelta(minutes=2), service.REMOVED)
            == 20
        )
        assert service.list_sessions(engine, at + dt.timedelta(minutes=2)) == []
        # sessions ended long ago are deleted at the next login
        late = at + dt.timedelta(seconds=service.SESSION_SECONDS) + service.FORGET_AFTER
        service.start_session(engine, "李四", cred, "10.0.0.2", late + dt.timedelta(minutes=1))
        left = service.list_sessions(engine, late, live_only=False)
        assert [s.user for s in left] == ["李四"]
    finally:
        engine.dispose()
