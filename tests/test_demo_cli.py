"""``slamon demo``: the whole job end to end with nothing configured."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser


def test_demo_runs_the_whole_job(run_cli, tmp_path):
    out = tmp_path / "demo"
    res = run_cli(["demo", "--output", str(out)])
    assert res.exit_code == 0, res.stderr
    assert "已超期" in res.stdout and "即将到期" in res.stdout
    assert (
        "省公共资源交易中心在收到“工程类_招标项目”、“工程类-中标结果公告”有条件共享数据申请后，未按时完成审批。"
        in res.stdout
    )
    mails = sorted((out / "mail").glob("*.eml"))
    assert mails, "no notice was delivered to the local SMTP server"
    subjects = []
    for path in mails:
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        subjects.append(str(msg["Subject"]))
        assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
        assert msg["Message-ID"]
    assert any(s.startswith("【督办】省公共资源交易中心") for s in subjects)
    assert any("【未配置联系人】" in s for s in subjects)
    names = {p.name for p in (out / "reports").iterdir()}
    assert {"report-2024-12.txt", "report-2024-12.md", "report-2024-12.docx"} <= names
    assert any(n.startswith("digest-") and n.endswith(".html") for n in names)
    # running it again starts afresh and delivers the same notices once
    again = run_cli(["demo", "--output", str(out)])
    assert again.exit_code == 0, again.stderr
    assert len(list((out / "mail").glob("*.eml"))) == len(mails)
