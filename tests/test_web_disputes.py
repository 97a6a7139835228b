"""情况说明 on the real dashboard: a department submits one (with and without an attachment, its
limits enforced, CSRF required); an operator accepts one (an exemption citing it appears) and
rejects another (the department reads the reason); a viewer and a department cannot decide."""

from __future__ import annotations

from pathlib import Path

import pytest
from disputehelpers import (
    HTML_AS_PDF,
    PDF,
    PNG,
    docx_bytes,
    login_department,
    make_department_dashboard,
    submit,
)
from starlette.testclient import TestClient
from webhelpers import csrf_of, login

from slamon.service import disputes
from slamon.service.exemptions import active_exemptions, active_ids

LIMIT = 4096  # web.dispute_max_bytes in these tests


@pytest.fixture
def dash(tmp_path: Path):  # noqa: ANN201
    d = make_department_dashboard(tmp_path, web={"dispute_max_bytes": LIMIT})
    yield d
    d.engine.dispose()


@pytest.fixture
def dept(dash):  # noqa: ANN201
    with TestClient(dash.app()) as c:
        login_department(c)
        yield c


def stored(dash) -> list:  # noqa: ANN001
    return disputes.list_disputes(dash.engine, dash.rt)


def test_a_dispute_without_an_attachment(dash, dept) -> None:
    page = dept.get("/application", params={"id": "GZ-LATE-1"}).text
    assert 'id="dispute-form"' in page and 'enctype="multipart/form-data"' in page
    assert '<a href="#disputes">对此判定有异议？提交情况说明</a>' in page  # near the verdict
    r = submit(dept, "GZ-LATE-1", "  该申请已于10月9日线下答复，\n平台未及时登记。  ")
    assert r.status_code == 303 and r.headers["location"] == "/application?id=GZ-LATE-1"
    [d] = stored(dash)
    assert (d.application_id, d.department, d.by, d.channel) == (
        "GZ-LATE-1",
        "省公共资源交易中心",
        "ggzy",
        "web",
    )
    assert d.text == "该申请已于10月9日线下答复，\n平台未及时登记。" and d.attachment_name is None
    page = dept.get(r.headers["location"]).text
    assert f"已提交情况说明 #{d.id}，待核实" in page and "待核实" in page
    assert 'id="dispute-form"' not in page  # one waiting at a time
    assert "核实结果出来前不能再提交新的情况说明" in page


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("复函.pdf", PDF, "application/pdf"),
        ("截图.PNG", PNG, "image/png"),
        (
            "说明.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_a_dispute_with_an_attachment(
    dash, dept, name: str, data: bytes, content_type: str
) -> None:
    assert submit(dept, "GZ-LATE-2", "附盖章复函", (name, data)).status_code == 303
    [d] = stored(dash)
    assert (d.attachment_name, d.attachment_type, d.attachment_size) == (
        name,
        content_type,
        len(data),
    )
    page = dept.get("/application", params={"id": "GZ-LATE-2"}).text
    assert f'href="/dispute/attachment?id={d.id}"' in page and name in page
    got = dept.get("/dispute/attachment", params={"id": d.id})
    assert got.content == data and got.headers["content-type"] == content_type
    assert got.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("text", "file", "status", "message"),
    [
        (
            "说明",
            ("大文件.pdf", b"%PDF-" + b"0" * LIMIT),
            400,
            "附件“大文件.pdf”过大：4101 字节，最大 4096 字节",
        ),
        ("说明", ("巨大.pdf", b"%PDF-" + b"0" * (LIMIT + 70 * 1024)), 413, "提交的内容过大"),
        ("说明", ("程序.exe", b"MZ\x90\x00"), 400, "类型不允许：只接受 PDF"),
        ("说明", ("page.html", b"<html></html>"), 400, "类型不允许"),
        ("说明", ("复函.pdf", HTML_AS_PDF), 400, "附件“复函.pdf”的内容不是PDF（与扩展名不符）"),
        ("说明", ("图片.png", PDF), 400, "内容不是PNG 图片"),
        ("说明", ("空.pdf", b""), 400, "附件“空.pdf”是空文件"),
        ("", None, 400, "情况说明不能为空"),
        ("  \n ", ("复函.pdf", PDF), 400, "情况说明不能为空"),
        ("字" * 4001, None, 400, "情况说明过长：4001 字，最多 4000 字"),
    ],
)
def test_limits_are_enforced(dash, dept, text, file, status: int, message: str) -> None:  # noqa: ANN001
    r = submit(dept, "GZ-LATE-1", text, file)
    assert r.status_code == status, r.text[:400]
    assert message in r.text
    assert stored(dash) == []
    if status == 400:
        assert 'href="/application?id=GZ-LATE-1"' in r.text  # the way back to the form


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_missing_or_wrong_csrf_token_is_refused(dash, dept, token) -> None:  # noqa: ANN001
    assert submit(dept, "GZ-LATE-1", "说明", ("复函.pdf", PDF), csrf=token).status_code == 403
    assert stored(dash) == []


def test_another_departments_application_is_404_even_by_post(dash, dept) -> None:
    token = csrf_of(dept.get("/").text)
    r = submit(dept, "GZ-SOON-1", "替别人说明", csrf=token)
    assert r.status_code == 404 and "GZ-SOON-1" not in r.text
    assert stored(dash) == []


def _decide(client: TestClient, dispute_id: int, verb: str, reason: str, back: str = "queue"):  # noqa: ANN202
    token = csrf_of(client.get("/disputes").text)
    data = {"id": str(dispute_id), "decision": verb, "reason": reason, "csrf": token, "back": back}
    return client.post("/dispute/decide", data=data, follow_redirects=False)


def test_an_operator_accepts_one_and_rejects_another(dash, dept) -> None:
    submit(dept, "GZ-LATE-1", "已线下答复", ("复函.pdf", PDF))
    submit(dept, "GZ-LATE-2", "经办人出差")
    first, second = stored(dash)
    with TestClient(dash.app()) as op:
        login(op, "operator")
        queue = op.get("/disputes").text
        assert "待核实（2）" in queue and "已线下答复" in queue and "经办人出差" in queue
        assert f'id="accept-{first.id}"' in queue and "复函.pdf" in queue
        assert _decide(op, first.id, "accept", "经核实，已于10月9日线下答复").status_code == 303
        r = _decide(op, second.id, "reject", "出差不构成延期理由", back="")
        assert r.headers["location"] == "/application?id=GZ-LATE-2"
        queue = op.get("/disputes").text
        assert "没有待核实的情况说明" in queue and "已采纳（1）" in queue and "未采纳（1）" in queue
        # decided once
        r = _decide(op, first.id, "reject", "改变主意")
        assert (
            r.status_code == 400
            and f"情况说明 #{first.id} 已有核实结果（已采纳），不能再次决定" in r.text
        )
        assert _decide(op, second.id, "accept", "").status_code == 400  # a reason is required
    with dash.engine.connect() as conn:
        exempted = active_exemptions(conn)
    assert set(exempted) == {"GZ-LATE-1"}
    assert exempted["GZ-LATE-1"].reason == f"依据情况说明 #{first.id}：经核实，已于10月9日线下答复"
    assert exempted["GZ-LATE-1"].by == "operator"
    accepted = dept.get("/application", params={"id": "GZ-LATE-1"}).text
    assert "核实结果：已采纳" in accepted and "经核实，已于10月9日线下答复" in accepted
    assert "已核实排除" in accepted and 'id="dispute-form"' not in accepted
    rejected = dept.get("/application", params={"id": "GZ-LATE-2"}).text
    assert "核实结果：未采纳" in rejected and "出差不构成延期理由" in rejected
    assert 'id="dispute-form"' in rejected  # it may answer again, with more evidence


@pytest.mark.parametrize("who", ["viewer", "department"])
def test_a_viewer_and_a_department_cannot_decide(dash, dept, who: str) -> None:
    submit(dept, "GZ-LATE-1", "已线下答复")
    [d] = stored(dash)
    with TestClient(dash.app()) as c:
        if who == "viewer":
            login(c, "viewer")
            page = c.get("/disputes").text
            assert "已线下答复" in page and f'id="accept-{d.id}"' not in page
            token = csrf_of(page)
        else:
            login_department(c)
            assert c.get("/disputes").status_code == 404
            token = csrf_of(c.get("/").text)
        for verb in ("accept", "reject"):
            data = {"id": str(d.id), "decision": verb, "reason": "越权", "csrf": token}
            assert c.post("/dispute/decide", data=data).status_code == 403
    assert stored(dash)[0].status == "pending" and active_ids(dash.engine) == frozenset()


def test_a_phone_dispute_shows_on_the_departments_page(dash, dept) -> None:
    from webhelpers import NOW

    d = disputes.submit(
        dash.engine, dash.rt, "GZ-LATE-1", "电话反映已答复", "李四", NOW, channel="phone"
    )
    page = dept.get("/application", params={"id": "GZ-LATE-1"}).text
    assert f"情况说明 #{d.id}" in page and "电话 · 李四" in page and "电话反映已答复" in page
