"""``slamon user add``, the ``web:`` config keys, ``slamon web`` and the dashboard inside
``slamon run`` (a real process, stopped by SIGTERM)."""

from __future__ import annotations

import io
import json
import socket
import stat
import urllib.request

import pytest
import yaml
from processhelpers import Slamon, free_port
from storehelpers import REPO_ROOT

from slamon.config import parse_settings
from slamon.core.errors import ConfigError
from slamon.web.users import UserDirectory, read_users


def test_user_add_reads_the_password_from_stdin(run_cli, write_config, tmp_path, monkeypatch):
    config = write_config({"web": {"users_file": "secret/users.txt"}})
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    r = run_cli(["user", "add", "alice", "--role", "operator"], config=config)
    assert r.exit_code == 0, r.stderr
    path = tmp_path / "secret" / "users.txt"
    assert read_users(path)["alice"][0] == "operator"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "a-long-password" not in path.read_text() and "a-long-password" not in r.stdout
    users = UserDirectory(path)
    assert users.authenticate("alice", "a-long-password").is_operator
    assert users.authenticate("alice", "wrong-password") is None
    assert "a-long-password" not in (tmp_path / "config.yaml").read_text()
    # again: the password and role are replaced, the user is not doubled
    monkeypatch.setattr("sys.stdin", io.StringIO("another-password\n"))
    r = run_cli(["user", "add", "alice", "--role", "viewer"], config=config)
    assert r.exit_code == 0 and "已更新" in r.stdout
    assert users.authenticate("alice", "another-password").role == "viewer"
    assert len(read_users(path)) == 1


def test_user_add_refuses_bad_input(run_cli, write_config, monkeypatch):
    config = write_config({})
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    r = run_cli(["user", "add", "bob", "--role", "viewer"], config=config)
    assert r.exit_code == 1 and "密码太短" in r.stderr
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-pw\n"))
    r = run_cli(["user", "add", "bob", "--role", "admin"], config=config)
    assert r.exit_code == 2 and "--role" in r.stderr
    r = run_cli(["user", "add", "a:b", "--role", "viewer"], config=config)
    assert r.exit_code == 1 and "用户名" in r.stderr


@pytest.mark.parametrize(
    ("web", "key"),
    [
        ({"listen": "8080"}, "web.listen"),
        ({"listen": "127.0.0.1:99999"}, "web.listen"),
        ({"password": "x"}, "web.password"),
        ({"users_file": ""}, "web.users_file"),
    ],
)
def test_bad_web_config_names_the_key(tmp_path, web, key):
    with pytest.raises(ConfigError) as exc:
        parse_settings({"web": web}, None, tmp_path, {})
    assert exc.value.key == key


def test_web_config_defaults_live_next_to_the_config(tmp_path):
    s = parse_settings({"web": {"listen": "0.0.0.0:9000"}}, None, tmp_path, {})
    assert s.web.host_port == ("0.0.0.0", 9000)
    assert s.web.users_file == tmp_path / "web-users.txt"
    assert s.web.secret_file == tmp_path / "web-secret.key"
    assert parse_settings({}, None, tmp_path, {}).web.listen is None


def test_run_serves_the_dashboard_and_stops_on_sigterm(tmp_path):
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "store": {"url": "sqlite:///store.db"},
                "rules": {"dir": str(REPO_ROOT / "rules")},
                "source": {"kind": "none"},
                "daemon": {"log_format": "json"},
                "web": {"listen": f"127.0.0.1:{port}"},
            }
        ),
        encoding="utf-8",
    )
    with Slamon(config, tmp_path, "run") as daemon:
        daemon.wait_for_log("web.listening")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            assert json.loads(r.read()) == {"status": "ok"}
        # every other page wants a login
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert r.url.endswith("/login?next=%2F") and "登录" in r.read().decode()
        assert stat.S_IMODE((tmp_path / "web-secret.key").stat().st_mode) == 0o600
        code, _out, err = daemon.stop()
    assert code == 0, err
    assert '"web.stopped' in err and '"daemon.stopped' in err
    assert "user=-" in err  # the access log line of the anonymous request
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # the port is closed


def test_slamon_web_serves_on_the_given_port(tmp_path):
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump({"store": {"url": "sqlite:///store.db"}, "source": {"kind": "none"}}),
        encoding="utf-8",
    )
    with Slamon(config, tmp_path, "web", "--port", str(port)) as web:
        web.wait_for_log("web.listening")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            assert json.loads(r.read())["status"] == "ok"
        code, out, err = web.stop()
    assert code == 0, err
    assert "slamon user add" in out  # no users yet: it says how to add one


def test_slamon_web_says_when_the_port_is_taken(run_cli, write_config):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run_cli(["web", "--port", str(port)], config=write_config({"source": {"kind": "none"}}))
    assert r.exit_code == 1 and f"127.0.0.1:{port}" in r.stderr


def test_an_unwritable_secret_file_names_the_key(tmp_path):
    from slamon.web.sessions import load_or_create_key

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(ConfigError) as exc:
        load_or_create_key(blocker / "web-secret.key")
    assert exc.value.key == "web.secret_file"
    short = tmp_path / "short.key"
    short.write_text("too-short")
    with pytest.raises(ConfigError) as exc:
        load_or_create_key(short)
    assert exc.value.key == "web.secret_file"
    key = tmp_path / "ok.key"
    assert load_or_create_key(key) == load_or_create_key(key)  # created once, then read
