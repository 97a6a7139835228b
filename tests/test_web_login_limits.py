"""The login limiter slows an attacker without locking the real user out, stays small whatever
names are sent, believes X-Forwarded-For only from ``web.trusted_proxies``, and never counts a
HEAD of the login page as a failed login."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient
from webhelpers import PASSWORDS, make_dashboard

from slamon.config import parse_settings
from slamon.core.errors import ConfigError
from slamon.web.proxies import TrustedProxies
from slamon.web.throttle import MAX_KEY, LoginLimiter

ATTACKER, USER_DESK = ("203.0.113.9", 40000), ("198.51.100.7", 40001)
WRONG = {"username": "viewer", "password": "wrong-password"}
RIGHT = {"username": "viewer", "password": PASSWORDS["viewer"]}


@pytest.fixture
def dash(tmp_path: Path):  # noqa: ANN201
    d = make_dashboard(tmp_path)
    yield d
    d.engine.dispose()


def limiter_of(client: TestClient) -> LoginLimiter:
    return client.app.state.web.limiter


def test_a_lockout_from_one_client_does_not_stop_the_user_at_another(dash) -> None:
    app = dash.app()
    with TestClient(app, client=ATTACKER) as attacker, TestClient(app, client=USER_DESK) as desk:
        codes = [attacker.post("/login", data=WRONG).status_code for _ in range(8)]
        assert codes == [401] * 5 + [429] * 3
        # the attacker is refused even with the right password ...
        assert attacker.post("/login", data=RIGHT).status_code == 429
        # ... the real user, at their own desk, is not
        r = desk.post("/login", data=RIGHT, follow_redirects=False)
        assert r.status_code == 303 and "slamon_session" in r.headers["set-cookie"]


def test_the_limits_per_pair_per_client_and_per_user() -> None:
    lim = LoginLimiter(per_pair=2, per_client=3, per_user=4, window_seconds=60)
    lim.failed("a", "1.1.1.1", now=0)
    lim.failed("a", "1.1.1.1", now=10)
    assert lim.blocked("a", "1.1.1.1", now=20)  # this name from this client
    assert not lim.blocked("a", "2.2.2.2", now=20)  # the same name elsewhere: not
    assert not lim.blocked("b", "1.1.1.1", now=20)
    lim.failed("b", "1.1.1.1", now=20)
    assert lim.blocked("c", "1.1.1.1", now=21)  # per client, for any name
    assert not lim.blocked("a", "1.1.1.1", now=71)  # the window has passed
    # "z" under attack from many clients: those that failed are refused, a clean one is not
    for i in range(4):
        lim.failed("z", f"10.0.0.{i}", now=100)
    assert lim.blocked("z", "10.0.0.0", now=101)
    assert not lim.blocked("z", "10.9.9.9", now=101)
    assert not lim.blocked("y", "10.0.0.0", now=101)  # only the name under attack
    lim.succeeded("a", "1.1.1.1")


def test_a_right_password_clears_only_that_clients_failures_for_that_user() -> None:
    lim = LoginLimiter(per_pair=2, per_client=4, per_user=10, window_seconds=60)
    lim.failed("a", "1.1.1.1", now=0)
    lim.failed("b", "1.1.1.1", now=0)
    lim.failed("a", "1.1.1.1", now=1)
    assert lim.blocked("a", "1.1.1.1", now=2)
    lim.succeeded("a", "1.1.1.1")
    assert not lim.blocked("a", "1.1.1.1", now=2)
    lim.failed("c", "1.1.1.1", now=3)  # the client's own count was kept: 4 ≥ 4
    assert lim.blocked("d", "1.1.1.1", now=4)


def test_400_failed_logins_with_60_kb_names_keep_the_limiter_small(tmp_path) -> None:
    d = make_dashboard(tmp_path, web={"trusted_proxies": ["127.0.0.1"]})
    with TestClient(d.app(), client=("127.0.0.1", 40000)) as c:
        assert limiter_of(c).footprint().keys == 0
        for i in range(400):  # 400 clients behind the proxy, one long name each
            r = c.post(
                "/login",
                data={"username": f"{i:04d}" + "x" * 60_000, "password": "wrong-password"},
                headers={"x-forwarded-for": f"10.1.{i // 256}.{i % 256}"},
            )
            assert r.status_code == 401  # counted, not refused: every one is a key
        size = limiter_of(c).footprint()
    d.engine.dispose()
    assert size.keys == 3 * 400  # per pair, per client, per name
    assert size.key_chars <= 400 * (2 * MAX_KEY + 2 * len("10.1.1.143"))
    assert size.stamps == 3 * 400
    assert size.bytes < 1_000_000  # the 24 MB of uncut names is gone


def test_old_keys_are_dropped_and_the_key_count_is_capped() -> None:
    lim = LoginLimiter(per_pair=1, window_seconds=60, max_keys=100)
    for i in range(1000):
        lim.failed(f"user{i}", f"10.0.{i // 256}.{i % 256}", now=i / 100)
    assert lim.footprint().keys == 3 * 100
    assert lim.blocked("user999", "10.0.3.231", now=10)  # the latest failures are kept
    assert not lim.blocked("user0", "10.0.0.0", now=10)  # the oldest made way
    lim.failed("late", "10.9.9.9", now=1000)  # everything else left the window long ago
    assert lim.footprint().keys == 3


def test_head_of_the_login_page_is_not_a_failed_login(dash) -> None:
    with TestClient(dash.app()) as c:
        for _ in range(30):  # more than the per-client limit
            assert c.head("/login").status_code == 200
        assert limiter_of(c).footprint().keys == 0
        r = c.post("/login", data=RIGHT, follow_redirects=False)
        assert r.status_code == 303


def test_forwarded_for_is_ignored_without_trusted_proxies(dash) -> None:
    app = dash.app()
    with TestClient(app, client=("127.0.0.1", 40000)) as c:
        for i in range(5):
            c.post("/login", data=WRONG, headers={"x-forwarded-for": f"198.51.100.{i}"})
        # a new X-Forwarded-For does not make the same peer a new client
        r = c.post("/login", data=RIGHT, headers={"x-forwarded-for": "198.51.100.200"})
        assert r.status_code == 429
    with TestClient(app, client=("127.0.0.2", 40000)) as c:
        r = c.post(
            "/login", data=RIGHT, headers={"x-forwarded-proto": "https"}, follow_redirects=False
        )
        assert r.status_code == 303 and "secure" not in r.headers["set-cookie"].lower()


def test_forwarded_for_is_believed_from_a_trusted_proxy(tmp_path, caplog) -> None:
    d = make_dashboard(tmp_path, web={"trusted_proxies": ["127.0.0.0/8", "::1"]})
    app = d.app()
    with TestClient(app, client=("127.0.0.1", 40000)) as proxy:
        for _ in range(5):
            proxy.post("/login", data=WRONG, headers={"x-forwarded-for": "203.0.113.9"})
        assert (
            proxy.post("/login", data=RIGHT, headers={"x-forwarded-for": "203.0.113.9"}).status_code
            == 429
        )
        # another client behind the same proxy logs in; a forged left part changes nothing
        with caplog.at_level("INFO", logger="slamon.web"):
            r = proxy.post(
                "/login",
                data=RIGHT,
                headers={
                    "x-forwarded-for": "203.0.113.9, 198.51.100.7",
                    "x-forwarded-proto": "https",
                },
                follow_redirects=False,
            )
        assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()
        assert any("ip=198.51.100.7" in rec.getMessage() for rec in caplog.records)
    # a peer that is not a trusted proxy is the client whatever it forwards
    with TestClient(app, client=("203.0.113.50", 40000)) as direct:
        for i in range(5):
            direct.post("/login", data=WRONG, headers={"x-forwarded-for": f"10.0.0.{i}"})
        assert (
            direct.post("/login", data=RIGHT, headers={"x-forwarded-for": "10.0.0.99"}).status_code
            == 429
        )
    d.engine.dispose()


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.3", "198.51.100.7"),  # proxies skipped
        ("10.0.0.2", "10.0.0.4, 10.0.0.3", "10.0.0.4"),  # only proxies: the farthest one
        ("10.0.0.2", "198.51.100.7, not-an-ip", "10.0.0.2"),  # a bad hop: the last trusted
        ("10.0.0.2", "[2001:db8::1]", "2001:db8::1"),
        ("10.0.0.2", None, "10.0.0.2"),
        ("192.0.2.1", "198.51.100.7", "192.0.2.1"),  # not a trusted peer
        ("testclient", "198.51.100.7", "testclient"),
    ],
)
def test_the_client_behind_trusted_proxies(peer, header, client) -> None:
    import ipaddress

    proxies = TrustedProxies([ipaddress.ip_network("10.0.0.0/24")])
    assert proxies.client(peer, header) == client


@pytest.mark.parametrize("value", ["not-an-ip", ["10.0.0.0/33"], {"a": 1}, ["127.0.0.1", ""]])
def test_bad_trusted_proxies_name_the_key(tmp_path, value) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_settings({"web": {"trusted_proxies": value}}, None, tmp_path, {})
    assert exc.value.key == "web.trusted_proxies"


def test_trusted_proxies_default_to_none(tmp_path) -> None:
    assert parse_settings({}, None, tmp_path, {}).web.trusted_proxies == ()
    one = parse_settings({"web": {"trusted_proxies": "10.0.0.1"}}, None, tmp_path, {})
    assert [str(n) for n in one.web.trusted_proxies] == ["10.0.0.1/32"]
