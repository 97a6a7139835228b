"""Reminder, overdue and escalation mails link to the dashboard when ``web.public_url`` is set
(the application's page; the department's page too), absolute and escaped, in both parts, also
after the deliverer re-renders a mail; without it they carry no link and read whole. The links
are the dashboard's real routes."""

from __future__ import annotations

import dataclasses
import email.policy
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from storehelpers import at, ingest_records, make_runtime, record
from webhelpers import login, make_dashboard

from slamon.adapters.store.db import open_store
from slamon.core.errors import ConfigError
from slamon.core.links import application_url, department_url
from slamon.service.delivery import deliver_due

DEPT = "省公共资源交易中心"
CONTACT, SUPERVISOR = "lianxiren@ggzy.example.gov.cn", "dudao@dsj.example.gov.cn"
BASE = "https://slamon.xxzx.example.gov.cn/jiance"
NOW = at("2024-10-15 10:00")  # C (due 30 Sep) overdue 7 working days: a notice and an escalation
ODD_ID = "GZ 2024/10&x=1"


def _mails(tmp_path: Path, server: Any, public_url: str | None, answer_d: bool = False) -> dict:
    web = {"public_url": public_url} if public_url else {}
    rt = make_runtime(
        tmp_path,
        smtp=server.smtp_config(),
        contacts={DEPT: [CONTACT]},
        supervisors=[SUPERVISOR],
        web=web,
    )
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    records = [record("C", "2024-09-24 10:00"), record(ODD_ID, "2024-10-08 10:00")]
    ingest_records(engine, rt, records, NOW, plan=True)
    if answer_d:  # answered after planning: the deliverer re-renders the notice without it
        done = dataclasses.replace(
            records[1], decision="approved", decided_at=at("2024-10-15 10:30")
        )
        ingest_records(engine, rt, [records[0], done], at("2024-10-15 10:31"))
    assert deliver_due(engine, rt, at("2024-10-15 10:40"), "w").sent == 2
    engine.dispose()
    out = {}
    for m in server.messages:
        msg = m.message
        kind = "escalation" if m.rcpt_tos == [SUPERVISOR] else "notice"
        out[kind] = (
            msg,
            msg.get_body(("plain",)).get_content(),
            msg.get_body(("html",)).get_content(),
        )
    return out


def test_with_public_url_every_item_and_the_department_are_linked(
    tmp_path: Path, smtp_server: Any
) -> None:
    mails = _mails(tmp_path, smtp_server, BASE + "/")
    c_url = f"{BASE}/application?id=C"
    odd_url = f"{BASE}/application?id=GZ%202024%2F10%26x%3D1"
    dept_url = f"{BASE}/department?name=%E7%9C%81%E5%85%AC%E5%85%B1%E8%B5%84%E6%BA%90%E4%BA%A4%E6%98%93%E4%B8%AD%E5%BF%83"
    msg, text, html = mails["notice"]
    assert f"\n   详情：{c_url}\n" in text and f"\n   详情：{odd_url}\n" in text  # own line
    assert f'<a href="{c_url}">C</a>' in html
    assert f'<a href="{odd_url.replace("&", "&amp;")}">{ODD_ID.replace("&", "&amp;")}</a>' in html
    assert dept_url in text and f'href="{dept_url}"' in html
    msg.add_header("X-Saved-By", "test_mail_links")
    Path("/tmp/mails-23").mkdir(parents=True, exist_ok=True)
    Path("/tmp/mails-23/reminder-linked.eml").write_bytes(msg.as_bytes(policy=email.policy.SMTP))
    _msg, text, html = mails["escalation"]
    assert f"详情：{c_url}" in text and f'href="{c_url}"' in html
    assert f"该部门的全部未办结申请：{dept_url}" in text
    assert f'<a href="{dept_url}">在监测网页查看该部门的全部未办结申请</a>' in html
    assert ODD_ID not in text  # not overdue long enough to be escalated


def test_without_public_url_no_link_and_nothing_empty(tmp_path: Path, smtp_server: Any) -> None:
    mails = _mails(tmp_path, smtp_server, None)
    for _msg, text, html in mails.values():
        assert "http" not in text and "详情：" not in text and "全部未办结申请：" not in text
        assert "<a " not in html and "href" not in html
        assert "None" not in text and "None" not in html
        assert "申请编号 C｜" in text and "<td>C</td>" in html


def test_a_mail_re_rendered_at_delivery_keeps_its_links(tmp_path: Path, smtp_server: Any) -> None:
    mails = _mails(tmp_path, smtp_server, BASE, answer_d=True)
    _msg, text, html = mails["notice"]
    assert ODD_ID not in text  # answered since planning: left out of the re-rendered mail
    assert f"详情：{BASE}/application?id=C" in text and f'href="{BASE}/application?id=C"' in html
    assert f"{BASE}/department?name=" in text


def test_the_links_are_the_dashboards_routes(tmp_path: Path) -> None:
    dash = make_dashboard(tmp_path, web={"public_url": "http://testserver"})
    with TestClient(dash.app()) as c:
        login(c, "viewer")
        page = c.get(application_url("http://testserver", "GZ-LATE-1") or "")
        assert page.status_code == 200 and "GZ-LATE-1" in page.text
        page = c.get(department_url("http://testserver", DEPT) or "")
        assert page.status_code == 200 and "GZ-LATE-1" in page.text
    dash.engine.dispose()


@pytest.mark.parametrize(
    "value",
    [
        "slamon.example.gov.cn",
        "ftp://slamon.example.gov.cn",
        "https://slamon.example.gov.cn/?from=mail",
        "https://slamon.example.gov.cn/#top",
        "https://user:secret@slamon.example.gov.cn",
        "https://",
        "https://slamon example",
        42,
    ],
)
def test_public_url_must_be_an_http_address_without_query(tmp_path: Path, value: Any) -> None:
    with pytest.raises(ConfigError, match=r"web\.public_url"):
        make_runtime(tmp_path, web={"public_url": value})


def test_public_url_keeps_a_path_prefix_and_defaults_to_none(tmp_path: Path) -> None:
    assert make_runtime(tmp_path).settings.web.public_url is None
    rt = make_runtime(tmp_path, web={"public_url": " http://10.1.2.3:8080/slamon/ "})
    assert rt.settings.web.public_url == "http://10.1.2.3:8080/slamon"
