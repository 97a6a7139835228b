"""Rules as written: the clock's start/fallback/stop come from the rule file, and every stage of a
staged rule (rules/jincheng-2024.yaml) has its own deadline and lateness."""

from __future__ import annotations

import json

import pytest
from storehelpers import REPO_ROOT

HEADER = "申请编号,申请部门,提供部门,资源名称,共享类型,申请时间,审核状态,审核时间,收到时间,审批结果,审批时间\n"


def _site(tmp_path, name, text):
    site = tmp_path / "site-rules"
    site.mkdir(exist_ok=True)
    (site / f"{name}.yaml").write_text(text, encoding="utf-8")
    return site


def _cfg(write_config, rules_dir, active):
    return write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "source": {"kind": "none"},
            "rules": {"dir": str(rules_dir), "active": active},
        }
    )


def _import(run_cli, cfg, tmp_path, rows):
    f = tmp_path / "export.csv"
    f.write_text(HEADER + "".join(rows), encoding="utf-8")
    out = json.loads(run_cli(["import", str(f), "--json"], config=cfg).stdout)
    assert out["rejected"] == 0, out["errors"]


def _status(run_cli, cfg, now):
    res = run_cli(["status", "--now", now, "--json"], config=cfg)
    assert res.exit_code == 0, res.stderr
    return {s["application_id"]: s for s in json.loads(res.stdout)}


# Submitted Mon 2024-09-23, received Thu 2024-09-26.
ROW = "C1,省税务局,省公安厅,户籍信息,有条件共享,2024-09-23 09:00,通过,2024-09-26 10:00,2024-09-26 10:00,,\n"


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        # from receipt 09-26: 27, 29 (Sun, makeup), 30, 8 Oct, 9 Oct
        ("received_at", "2024-10-09"),
        # from submission 09-23: 24, 25, 26, 27, 29 (Sun, makeup)
        ("submitted_at", "2024-09-29"),
    ],
)
def test_clock_start_from_the_rule_file_moves_the_deadline(
    run_cli, write_config, tmp_path, start, deadline
):
    text = (REPO_ROOT / "slamon/data/rules/guizhou-2023.yaml").read_text(encoding="utf-8")
    text = text.replace("  start: received_at ", f"  start: {start} ", 1)
    cfg = _cfg(write_config, _site(tmp_path, "guizhou-2023", text), ["guizhou-2023"])
    _import(run_cli, cfg, tmp_path, [ROW])
    assert _status(run_cli, cfg, "2024-09-27T10:00")["C1"]["deadline_date"] == deadline


def test_clock_start_submitted_runs_while_review_is_pending(run_cli, write_config, tmp_path):
    text = (REPO_ROOT / "slamon/data/rules/guizhou-2023.yaml").read_text(encoding="utf-8")
    text = text.replace("  start: received_at ", "  start: submitted_at ", 1)
    cfg = _cfg(write_config, _site(tmp_path, "guizhou-2023", text), ["guizhou-2023"])
    row = "C2,省税务局,省公安厅,户籍信息,有条件共享,2024-09-23 09:00,待审核,,,,\n"
    _import(run_cli, cfg, tmp_path, [row])
    c2 = _status(run_cli, cfg, "2024-09-30T10:00")["C2"]
    assert (c2["stage"], c2["deadline_date"]) == ("overdue", "2024-09-29")


JINCHENG = REPO_ROOT / "rules"
# Submitted Mon 2024-12-02: 符合性审查 due 12-04; reviewed (and received) 12-05 → one day late.
# Answer due 5 working days after 12-05 = 12-12; answered 12-09 → on time.
LATE_REVIEW = "J1,省税务局,省公安厅,户籍信息,有条件共享,2024-12-02 09:00,通过,2024-12-05 10:00,2024-12-05 10:00,通过,2024-12-09 10:00\n"
ON_TIME = "J2,省税务局,省民政厅,婚姻登记,有条件共享,2024-12-02 09:00,通过,2024-12-03 10:00,2024-12-03 10:00,通过,2024-12-09 10:00\n"
LATE_ANSWER = "J3,省税务局,省民政厅,婚姻登记,有条件共享,2024-12-02 09:00,通过,2024-12-03 10:00,2024-12-03 10:00,,\n"
# Unconditional: only the review stage binds it; never reviewed → still open past 12-04.
UNCOND = "J4,遵义市,省市场监管局,企业登记信息,无条件共享,2024-12-02 09:00,,,,,\n"


def test_two_stage_rule_review_late_answer_on_time_is_a_finding(run_cli, write_config, tmp_path):
    cfg = _cfg(write_config, JINCHENG, ["jincheng-2024"])
    _import(run_cli, cfg, tmp_path, [LATE_REVIEW, ON_TIME, LATE_ANSWER, UNCOND])
    status = _status(run_cli, cfg, "2024-12-31T10:00")
    assert status["J1"]["stage"] == "answered_on_time"
    assert status["J1"]["deadline_date"] == "2024-12-12"
    assert [(st["id"], st["deadline_date"], st["late"]) for st in status["J1"]["stages"]] == [
        ("review", "2024-12-04", True),
        ("answer", "2024-12-12", False),
    ]
    assert status["J3"]["stage"] == "overdue"  # due 2024-12-10
    res = run_cli(["report", "monthly", "--month", "2024-12", "--format", "json"], config=cfg)
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    groups = {(g["provider_dept"], g["stage"]): g for g in data["late"]}
    review = groups[("数据主管部门", "review")]
    assert review["stage_name"] == "符合性审查"
    assert review["applications"] == ["J1", "J4"]
    by_id = {d["application_id"]: d for d in review["details"]}
    assert by_id["J1"]["deadline_date"] == "2024-12-04"
    assert (by_id["J1"]["status"], by_id["J1"]["overdue_working_days"]) == ("answered_late", 1)
    assert by_id["J4"]["status"] == "unanswered_overdue"
    answer = groups[("省民政厅", None)]
    assert answer["applications"] == ["J3"]
    assert not any(k[0] == "省公安厅" for k in groups)  # J1's provider answered in time
    assert "数据主管部门对“户籍信息”" in data["problems_text"]
    text = data["problems_text"]
    assert "符合性审查未在规定时限内完成" in text
    assert "数据提供方答复未在规定时限" not in text
    assert "省民政厅在收到“婚姻登记”有条件共享数据申请后，未按时完成审批。" in text


# national-2025 (in force 2025-08-01): unconditional within 1 working day of receipt.
U_LATE = "N1,遵义市,省市场监管局,企业登记信息,无条件共享,2025-09-01 09:00,,,2025-09-01 10:00,通过,2025-09-03 10:00\n"
U_OK = "N2,遵义市,省市场监管局,企业登记信息,无条件共享,2025-09-01 09:00,,,2025-09-01 10:00,通过,2025-09-02 16:00\n"
U_OPEN = "N3,遵义市,省自然资源厅,不动产登记,无条件共享,2025-09-24 09:00,,,2025-09-24 10:00,,\n"
C_OK = "N4,省税务局,省公安厅,户籍信息,有条件共享,2025-09-01 09:00,通过,2025-09-01 10:00,2025-09-01 10:00,通过,2025-09-05 10:00\n"


@pytest.mark.parametrize("active", [["guizhou-2023"], ["guizhou-2023", "national-2025"]])
def test_national_2025_binds_unconditional_answers(run_cli, write_config, tmp_path, active):
    cfg = _cfg(write_config, REPO_ROOT / "rules", active)
    _import(run_cli, cfg, tmp_path, [U_LATE, U_OK, U_OPEN, C_OK])
    res = run_cli(["report", "monthly", "--month", "2025-09", "--format", "json"], config=cfg)
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    late = {a for g in data["late"] for a in g["applications"]}
    status = _status(run_cli, cfg, "2025-09-30T10:00")
    if active == ["guizhou-2023"]:  # unconditional are bound by no active rule
        assert late == set()
        assert status["N1"]["stage"] == "not_applicable"
        return
    assert late == {"N1", "N3"}
    assert (status["N1"]["stage"], status["N1"]["deadline_date"]) == ("answered_late", "2025-09-02")
    assert status["N2"]["stage"] == "answered_on_time"
    assert (status["N4"]["stage"], status["N4"]["rule"]) == ("answered_on_time", "guizhou-2023")
    text = data["problems_text"]
    assert "省市场监管局在收到“企业登记信息”无条件共享数据申请后，超期1个工作日才完成审批。" in text
    assert "省自然资源厅在收到“不动产登记”无条件共享数据申请后，未按时完成审批。" in text
    assert "国务院令第809号" in text or "政务数据共享条例" in text


U_AUGUST = "N5,遵义市,省交通运输厅,道路运输许可,无条件共享,2025-08-28 09:00,,,2025-08-28 10:00,,\n"


def test_unconditional_from_an_earlier_month_still_late(run_cli, write_config, tmp_path):
    """Submitted in August, still unanswered: late again in September's report under national-2025."""
    cfg = _cfg(write_config, REPO_ROOT / "rules", ["guizhou-2023", "national-2025"])
    _import(run_cli, cfg, tmp_path, [U_AUGUST])
    res = run_cli(["report", "monthly", "--month", "2025-09", "--format", "json"], config=cfg)
    late = {a for g in json.loads(res.stdout)["late"] for a in g["applications"]}
    assert late == {"N5"}
