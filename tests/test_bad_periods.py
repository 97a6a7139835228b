"""Out-of-range and malformed periods, and errors nobody planned for: a month or week in year 1
(or 9999) is a 400 page in the dashboard's style and one Chinese line on the command line, never a
traceback; every response — the 400s, a 404, an unexpected 500 — carries the security headers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from webhelpers import login, make_dashboard

from slamon.core.errors import InputError
from slamon.core.periods import FIRST_YEAR, LAST_YEAR, IsoWeek, Month

SECURITY = (
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
)


def assert_secured(r) -> None:  # noqa: ANN001
    for header in SECURITY:
        assert header in r.headers, (header, r.status_code, r.url)
    assert "script-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.fixture
def client(tmp_path: Path):  # noqa: ANN201
    dash = make_dashboard(tmp_path)
    with TestClient(dash.app()) as c:  # server exceptions raised: none may escape
        login(c, "viewer")
        yield c
    dash.engine.dispose()


# -- the periods themselves ----------------------------------------------------------------------
@pytest.mark.parametrize("text", ["0001-01", "0001-12", "1899-12", "3000-01", "9999-12"])
def test_a_month_outside_the_years_is_an_input_error_naming_them(text: str) -> None:
    with pytest.raises(InputError) as caught:
        Month.parse(text)
    assert caught.value.value == text
    assert text in str(caught.value) and f"{FIRST_YEAR}–{LAST_YEAR}" in str(caught.value)


@pytest.mark.parametrize("text", ["0001-W01", "1899-W52", "3000-W01", "9999-W52"])
def test_a_week_outside_the_years_is_an_input_error_naming_them(text: str) -> None:
    with pytest.raises(InputError) as caught:
        IsoWeek.parse(text)
    assert caught.value.value == text and f"{FIRST_YEAR}–{LAST_YEAR}" in str(caught.value)


def test_the_first_and_last_periods_have_neighbours_and_bounds_in_any_zone() -> None:
    from zoneinfo import ZoneInfo

    first, last = Month.parse(f"{FIRST_YEAR}-01"), Month.parse(f"{LAST_YEAR}-12")
    first_week, last_week = IsoWeek.parse(f"{FIRST_YEAR}-W01"), IsoWeek.parse(f"{LAST_YEAR}-W52")
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Shanghai"):
        tz = ZoneInfo(zone)
        for period in (first, last, first.previous(), last.next(), first_week, last_week):
            assert period.start(tz).astimezone(ZoneInfo("UTC")) < period.end(tz)
        assert first_week.previous().end(tz) < first_week.start(tz)


# -- the dashboard -------------------------------------------------------------------------------
BAD_URLS = [
    ("/report?month=0001-01", "0001-01"),
    ("/report?month=9999-12", "9999-12"),
    ("/report?month=9999-13", "9999-13"),
    ("/report?month=abc", "abc"),
    ("/report/download?month=0001-01&format=xlsx", "0001-01"),
    ("/report/download?month=9999-12&format=docx", "9999-12"),
    ("/digest?week=0001-W01", "0001-W01"),
    ("/digest/view?week=0001-W01", "0001-W01"),
    ("/digest/view?week=9999-W52", "9999-W52"),
    ("/digest/view?week=2024-W60", "2024-W60"),
    ("/exemptions?month=0001-01", "0001-01"),
    ("/exemptions?month=9999-12", "9999-12"),
]


@pytest.mark.parametrize(("url", "shown"), BAD_URLS)
def test_a_bad_period_in_a_url_is_a_400_page_with_the_headers(client, url: str, shown: str) -> None:
    r = client.get(url)
    assert r.status_code == 400, r.text[:300]
    assert_secured(r)
    assert "text/html" in r.headers["content-type"]
    assert "slamon 答复时限监测" in r.text and "退出" in r.text  # the page's own frame
    assert shown in r.text and "Traceback" not in r.text


def test_a_404_has_the_headers(client) -> None:
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert_secured(r)


def test_static_files_have_the_headers_but_stay_cacheable(client) -> None:
    r = client.get("/static/app.css")
    assert r.status_code == 200
    assert_secured(r)
    assert "no-store" not in r.headers.get("cache-control", "")


def test_an_unexpected_error_is_a_500_page_with_the_headers_and_the_traceback_in_the_log(
    client, monkeypatch, caplog
) -> None:
    from slamon.web import pages

    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("store said: secret-internal-detail")

    monkeypatch.setattr(pages, "data_quality", broken)
    with caplog.at_level(logging.INFO):
        r = client.get("/quality")
    assert r.status_code == 500
    assert_secured(r)
    assert r.headers["cache-control"] == "no-store"
    assert "服务器内部错误" in r.text
    for leak in ("secret-internal-detail", "RuntimeError", "Traceback", "File "):
        assert leak not in r.text
    (error,) = [rec for rec in caplog.records if rec.getMessage().startswith("web.error")]
    assert "path=/quality" in error.getMessage()
    assert error.exc_info and "secret-internal-detail" in str(error.exc_info[1])
    access = [rec.getMessage() for rec in caplog.records if "web.request" in rec.getMessage()]
    assert any("path=/quality status=500" in line for line in access)


# -- the command line ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["report", "monthly", "--month", "0001-01"],
        ["report", "monthly", "--month", "9999-12", "--format", "xlsx"],
        ["report", "problems", "--month", "0001-01"],
        ["report", "monthly", "--month", "2024-10", "--as-of", "9999-12-31T23:00"],
        ["digest", "--week", "0001-W01"],
        ["digest", "--week", "9999-W52"],
        ["digest", "--now", "0001-01-01T00:00"],
        ["exemptions", "--month", "0001-01"],
        ["status", "--now", "0001-01-01T00:00"],
        ["health", "--now", "9999-12-31T00:00"],
    ],
)
def test_the_cli_says_a_bad_period_in_one_chinese_line(run_cli, write_config, argv) -> None:
    cfg = write_config({"store": {"url": "sqlite:///s.db"}, "source": {"kind": "none"}})
    res = run_cli(argv, config=cfg)
    assert res.exit_code == 1, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), res.stderr
    bad = next(a for a in argv if a.startswith(("0001", "9999")))
    assert bad in lines[0] and "超出支持的范围" in lines[0]
    assert "Traceback" not in res.stdout + res.stderr
