"""发起核实 on the 月报 page: operators only, with the session's CSRF token; the same round as
``report monthly --draft --send`` (one mail per department named, through a real SMTP server),
never twice; the report's data note then counts the round."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from reporthelpers import Maker
from starlette.testclient import TestClient
from storehelpers import TZ, ingest_records
from webhelpers import csrf_of, login, make_dashboard

from slamon.core.periods import Month
from slamon.service.feedback_record import asked_departments

PUB, MARKET, WATER = "省公共资源交易中心", "省市场监管局", "省水利厅"
CONTACTS = {PUB: ["ggzy@ggzy.example.gov.cn"], MARKET: ["scjg@scjg.example.gov.cn"]}
MONDAY = dt.datetime(2025, 1, 6, 10, 0, tzinfo=TZ)  # inside the sending window


@pytest.fixture
def dash(tmp_path: Path, calendar: Any, smtp_server: Any):  # noqa: ANN201
    mk = Maker(calendar)
    d = dt.date
    records = [
        mk.conditional(PUB, "工程类_招标项目", d(2024, 12, 3)),
        mk.conditional(MARKET, "企业登记信息", d(2024, 12, 10), 7),
        mk.conditional(WATER, "水文数据", d(2024, 12, 10), 1),
    ]
    board = make_dashboard(
        tmp_path,
        records,
        smtp=smtp_server.smtp_config(),
        contacts=CONTACTS,
        web={"public_url": "https://slamon.example.gov.cn"},
    )
    ingest_records(board.engine, board.rt, records, MONDAY)  # read after the month's end
    yield board
    board.engine.dispose()


def _post(client: TestClient, csrf: str | None, month: str = "2024-12") -> Any:
    data = {"month": month, **({"csrf": csrf} if csrf is not None else {})}
    return client.post("/report/feedback", data=data, follow_redirects=False)


def test_a_viewer_sees_no_button_and_may_not_start_a_round(dash, smtp_server) -> None:
    with TestClient(dash.app(MONDAY)) as c:
        login(c, "viewer")
        page = c.get("/report", params={"month": "2024-12"}).text
        assert "发起核实" not in page
        assert _post(c, csrf_of(page)).status_code == 403
    assert asked_departments(dash.engine, Month(2024, 12)) == ()
    assert smtp_server.messages == []


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_missing_or_wrong_token_is_refused(dash, token) -> None:
    with TestClient(dash.app(MONDAY)) as c:
        login(c, "operator")
        assert _post(c, token).status_code == 403
    assert asked_departments(dash.engine, Month(2024, 12)) == ()


def test_anonymous_is_refused(dash) -> None:
    with TestClient(dash.app(MONDAY)) as c:
        assert _post(c, "anything").status_code == 401


def test_an_operator_starts_the_round_once(dash, smtp_server) -> None:
    with TestClient(dash.app(MONDAY)) as c:
        login(c, "operator")
        page = c.get("/report", params={"month": "2024-12"}).text
        assert 'id="feedback-form"' in page and "涉及的 2 个部门" in page
        assert "核实" not in page.split('id="note">')[1].split("</p>")[0]  # no round yet
        r = _post(c, csrf_of(page))
        assert r.status_code == 303 and r.headers["location"] == "/report?month=2024-12"
        page = c.get("/report", params={"month": "2024-12"}).text
        message = page.split('id="message">')[1].split("</div>")[0]
        assert f"已向 2 个部门发起核实（{PUB}、{MARKET}）" in message
        assert "反馈截止 2025年1月8日" in message
        assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == sorted(
            a for v in CONTACTS.values() for a in v
        )
        note = page.split('id="note">')[1].split("</p>")[0]
        assert "存在问题初稿已于2025年1月6日送涉及的2个部门核实（反馈截止2025年1月8日）" in note
        # a second press sends nothing
        assert _post(c, csrf_of(page)).status_code == 303
        page = c.get("/report", params={"month": "2024-12"}).text
        assert "此前已发给 2 个部门，未重复发送" in page
        assert len(smtp_server.messages) == 2
    asked = asked_departments(dash.engine, Month(2024, 12))
    assert [a.department for a in asked] == [PUB, MARKET]


def test_no_button_for_a_month_not_yet_over(dash) -> None:
    with TestClient(dash.app(dt.datetime(2024, 12, 30, 10, 0, tzinfo=TZ))) as c:
        login(c, "operator")
        page = c.get("/report", params={"month": "2024-12"}).text
        assert 'id="feedback-form"' not in page
        r = _post(c, csrf_of(page))
        assert r.status_code == 400 and "尚未结束" in r.text
