"""Approved extensions (延期): the deadline moves by exactly that many working days when the rule
allows it as recorded; an extension the rule does not allow, beyond its cap, approved after the
deadline or at no recorded time is not applied (the rule's own deadline judges) and is flagged."""

from __future__ import annotations

import json

import pytest
from storehelpers import REPO_ROOT

HEADER = "申请编号,申请部门,提供部门,资源名称,共享类型,申请时间,审核状态,审核时间,收到时间,审批结果,审批时间,延期工作日,延期批准时间,驳回理由\n"
# Received Mon 2024-09-23 → 5 working days: 24, 25, 26, 27, 29 (Sun, makeup day) → due 2024-09-29.
# +3 working days across 国庆 (1–7 Oct off): 30 Sep, 8 Oct, 9 Oct → due 2024-10-09.
ROW = "{id},省税务局,省公安厅,户籍信息,有条件共享,2024-09-23 09:00,通过,2024-09-23 10:00,2024-09-23 10:00,{word},{dec},{ext},{ext_at},{why}\n"


def _config(write_config, tmp_path, extension):
    site = tmp_path / "site-rules"
    site.mkdir(exist_ok=True)
    text = (REPO_ROOT / "slamon/data/rules/guizhou-2023.yaml").read_text(encoding="utf-8")
    if extension is not None:
        text = text.replace("extension: null", f"extension: {extension}")
    (site / "guizhou-2023.yaml").write_text(text, encoding="utf-8")
    return write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "source": {"kind": "none"},
            "rules": {"dir": str(site), "active": ["guizhou-2023"]},
        }
    )


def _run(run_cli, cfg, tmp_path, rows, now="2024-10-10T10:00"):
    f = tmp_path / "export.csv"
    f.write_text(HEADER + "".join(rows), encoding="utf-8")
    out = json.loads(run_cli(["import", str(f), "--json"], config=cfg).stdout)
    assert out["rejected"] == 0, out["errors"]
    res = run_cli(["status", "--now", now, "--json"], config=cfg)
    return {s["application_id"]: s for s in json.loads(res.stdout)}


def test_three_working_days_across_national_day(run_cli, write_config, tmp_path):
    cfg = _config(write_config, tmp_path, "{max_working_days: 10, approver: 本级政务数据主管部门}")
    rows = [
        ROW.format(id="E1", word="", dec="", ext=3, ext_at="2024-09-27 09:00", why=""),
        ROW.format(
            id="E2", word="通过", dec="2024-10-08 15:00", ext=3, ext_at="2024-09-27", why=""
        ),
        ROW.format(id="E0", word="", dec="", ext="", ext_at="", why=""),
    ]
    status = _run(run_cli, cfg, tmp_path, rows)
    assert status["E0"]["deadline_date"] == "2024-09-29"
    assert (status["E0"]["stage"], status["E0"]["extended_by"]) == ("overdue", 0)
    e1 = status["E1"]
    assert (e1["deadline_date"], e1["deadline"]) == ("2024-10-09", "2024-10-09T23:59:59+08:00")
    assert (e1["stage"], e1["extended_by"], e1["flags"]) == ("overdue", 3, [])
    assert status["E2"]["stage"] == "answered_on_time"  # late without the extension
    table = run_cli(["status", "--now", "2024-10-10T10:00"], config=cfg).stdout
    assert "2024-10-09（已延期3个工作日）" in table


ALLOWS_10 = "{max_working_days: 10, approver: 主管部门}"


@pytest.mark.parametrize(
    ("extension", "days", "approved", "flag"),
    [
        ("{max_working_days: 2, approver: 主管部门}", 3, "2024-09-27", "extension_over_cap"),
        (None, 3, "2024-09-27", "extension_not_allowed"),
        (ALLOWS_10, 3, "2024-10-08 09:00", "extension_after_deadline"),
        (ALLOWS_10, 3, "", "extension_unapproved"),
        (None, 99999, "2024-09-27", "extension_not_allowed"),
    ],
)
def test_a_doubtful_extension_is_not_applied_and_the_late_answer_stays_late(
    run_cli, write_config, tmp_path, extension, days, approved, flag
):
    cfg = _config(write_config, tmp_path, extension)
    rows = [
        ROW.format(id="E1", word="", dec="", ext=days, ext_at=approved, why=""),
        ROW.format(id="E2", word="通过", dec="2024-10-08 15:00", ext=days, ext_at=approved, why=""),
    ]
    status = _run(run_cli, cfg, tmp_path, rows)
    for aid, stage in (("E1", "overdue"), ("E2", "answered_late")):
        s = status[aid]
        assert (s["deadline_date"], s["extended_by"], s["stage"]) == ("2024-09-29", 0, stage)
        assert [f["code"] for f in s["flags"]] == [flag]


def test_an_absurd_extension_blocks_nothing_else_in_the_read(run_cli, write_config, tmp_path):
    """ext_days = 99999 under a rule that allows extensions: beyond its cap, so not applied;
    the other rows load and are judged; the report names the late answer and notes the row."""
    cfg = _config(write_config, tmp_path, ALLOWS_10)
    rows = [
        ROW.format(
            id="E1", word="通过", dec="2024-10-08 15:00", ext=99999, ext_at="2024-09-27", why=""
        ),
        ROW.format(id="E2", word="通过", dec="2024-09-25 15:00", ext="", ext_at="", why=""),
    ]
    status = _run(run_cli, cfg, tmp_path, rows)
    assert status["E1"]["stage"] == "answered_late"
    assert status["E2"]["stage"] == "answered_on_time"
    report = run_cli(["report", "monthly", "--month", "2024-10", "--format", "text"], config=cfg)
    assert "省公安厅" in report.stdout.split("存在问题")[1]
    assert "延期超过规则上限，延期未采用1件" in report.stdout


def test_extension_and_reason_are_stored_and_bad_values_rejected(run_cli, write_config, tmp_path):
    cfg = _config(write_config, tmp_path, None)
    rows = [
        ROW.format(
            id="E1", word="驳回", dec="2024-09-25 09:00", ext="", ext_at="", why="资源已下线"
        ),
        ROW.format(id="E2", word="", dec="", ext="三", ext_at="", why=""),
        ROW.format(id="E3", word="", dec="", ext="-1", ext_at="", why=""),
    ]
    f = tmp_path / "export.csv"
    f.write_text(HEADER + "".join(rows), encoding="utf-8")
    out = json.loads(run_cli(["import", str(f), "--json"], config=cfg).stdout)
    assert out["inserted"] == 1
    assert [(e["row"], e["field"]) for e in out["errors"]] == [
        ("export.csv:3", "extension_working_days"),
        ("export.csv:4", "extension_working_days"),
    ]
    from slamon.adapters.store import applications
    from slamon.adapters.store.db import open_store

    with open_store(f"sqlite:///{tmp_path / 'store.db'}").connect() as conn:
        assert applications.load_records(conn, ["E1"])["E1"].rejection_reason == "资源已下线"
