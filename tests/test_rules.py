"""Rule files: the shipped rules, validation errors naming file/rule/field, two-stage clocks."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from rulehelpers import rule_data

from slamon.adapters.yaml_files import load_rules
from slamon.core.deadline import compute_deadline
from slamon.core.errors import RuleError
from slamon.core.rules import RuleSet

REPO_RULES = Path(__file__).resolve().parent.parent / "slamon" / "data" / "rules"


def write_rule(folder: Path, rule_id: str, data: dict[str, Any] | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path = folder / f"{rule_id}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the shipped rules -----------------------------------------------------------------------


def test_shipped_rules_load():
    rules = load_rules(REPO_RULES)
    assert set(rules) == {"guizhou-2023", "national-2025", "guizhou-2020"}
    for rule_id, rule in rules.items():
        assert rule.id == rule_id
        assert rule.citation
        assert rule.start_day_excluded is True
        assert rule.ends_at is None  # 24:00
        assert rule.answer_stage.start == "received_at"
        assert rule.answer_stage.fallback == "reviewed_at"
        assert rule.answer_stage.stop == "decided_at"
        assert Path(rule.path).name == f"{rule_id}.yaml"


def test_shipped_rule_limits():
    rules = load_rules(REPO_RULES)
    g23, n25, g20 = rules["guizhou-2023"], rules["national-2025"], rules["guizhou-2020"]
    assert g23.share_types == ("conditional",)
    assert g23.limit_for("conditional") == 5
    assert g23.limit_for("unconditional") is None
    assert g23.effective_from == dt.date(2023, 6, 8)
    assert g23.instrument == "黔府办发〔2023〕13号"
    assert "5个工作日" in g23.citation

    assert n25.share_types == ("conditional", "unconditional")
    assert n25.limit_for("conditional") == 10
    assert n25.limit_for("unconditional") == 1
    assert n25.effective_from == dt.date(2025, 8, 1)
    assert n25.extension is not None and n25.extension.max_working_days == 10

    assert g20.share_types == ("conditional",)
    assert g20.limit_for("conditional") == 10
    assert g20.extension is None


def test_ruleset_active_order_and_unknown_id():
    rules = load_rules(REPO_RULES)
    rs = RuleSet(rules, ("national-2025", "guizhou-2023"))
    assert [r.id for r in rs.active] == ["national-2025", "guizhou-2023"]
    with pytest.raises(RuleError, match="no-such-rule"):
        RuleSet(rules, ("guizhou-2023", "no-such-rule"))


# -- malformed rules -------------------------------------------------------------------------


def _without(key: str) -> dict[str, Any]:
    data = rule_data()
    del data[key]
    return data


MALFORMED: dict[str, tuple[dict[str, Any] | str, str]] = {
    "missing-citation": (_without("citation"), "citation"),
    "empty-citation": (rule_data(citation="  "), "citation"),
    "working-days-zero": (rule_data(working_days=0), "working_days"),
    "working-days-text": (rule_data(working_days="五"), "working_days"),
    "unknown-share-type": (rule_data(share_types=["sometimes"]), "share_types"),
    "unknown-share-type-in-mapping": (
        rule_data(working_days={"conditional": 5, "sometimes": 3}),
        "working_days.sometimes",
    ),
    "unknown-key": (rule_data(deadline_hours=48), "deadline_hours"),
    "bad-ends-at": (rule_data(counting={"ends_at": "25:00"}), "counting.ends_at"),
    "bad-ends-at-format": (rule_data(counting={"ends_at": "5pm"}), "counting.ends_at"),
    "bad-start-day": (rule_data(counting={"start_day": "sometimes"}), "counting.start_day"),
    "until-before-from": (
        rule_data(effective_from="2024-01-01", effective_until="2023-12-31"),
        "effective_until",
    ),
    # Unquoted, so PyYAML itself sees a (bad) date.
    "impossible-date": (
        yaml.safe_dump(rule_data(), allow_unicode=True).replace(
            "effective_from: '2020-01-01'", "effective_from: 2025-02-30"
        ),
        "effective_from",
    ),
    "bad-clock-event": (rule_data(clock={"start": "phoned_at"}), "clock.start"),
}


def _rule_text(data: dict[str, Any] | str) -> str:
    return data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_rule_names_file_rule_and_field(tmp_path, case):
    data, field = MALFORMED[case]
    path = write_rule(tmp_path / "rules", "broken-rule", _rule_text(data))
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path / "rules")
    err = info.value
    assert (err.path, err.rule) == (str(path), "broken-rule")
    assert field in err.field
    # the sentence a user reads is made from that data
    assert str(path) in str(err) and "broken-rule" in str(err) and field in str(err)


def test_invalid_yaml_names_file_and_rule(tmp_path):
    path = write_rule(tmp_path / "rules", "broken-rule", "title: [unclosed\ncitation: x\n")
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path / "rules")
    assert (info.value.path, info.value.rule, info.value.field) == (path, "broken-rule", None)
    assert str(path) in str(info.value)


def test_one_bad_file_among_good_ones_is_named(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    for rule in REPO_RULES.glob("*.yaml"):
        shutil.copy(rule, folder / rule.name)
    write_rule(folder, "zz-bad", rule_data(working_days=0))
    with pytest.raises(RuleError) as info:
        load_rules(folder)
    assert info.value.rule == "zz-bad" and info.value.field == "working_days"


def test_missing_rules_dir(tmp_path):
    with pytest.raises(RuleError, match="nowhere"):
        load_rules(tmp_path / "nowhere")


def test_unknown_active_rule_in_config_fails_the_cli(run_cli, write_config):
    cfg = write_config({"rules": {"active": ["guizhou-2023", "guizhou-2099"]}})
    r = run_cli(["deadline", "2024-10-01"], config=cfg)
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("错误：")
    assert "guizhou-2099" in lines[0]


def test_malformed_rule_via_cli_is_one_line_error(run_cli, write_config, tmp_path):
    folder = tmp_path / "rules"
    write_rule(folder, "guizhou-2023", rule_data(working_days=0))
    cfg = write_config({"rules": {"dir": str(folder)}})
    r = run_cli(["rules", "--json"], config=cfg)
    assert r.exit_code == 1
    assert r.stdout == ""
    [line] = r.stderr.strip().splitlines()
    assert line.startswith("错误：") and "guizhou-2023" in line and "working_days" in line


# -- stages ----------------------------------------------------------------------------------

TWO_STAGE = """\
title: 两阶段测试规则
instrument: 测试文号
citation: 平台2个工作日内完成规范性审核，提供部门收到申请之日起5个工作日内答复。
effective_from: 2020-01-01
stages:
  - id: review
    name: 规范性审核
    start: submitted_at
    stop: reviewed_at
    working_days: {conditional: 2}
  - id: answer
    name: 提供方答复
    start: received_at
    fallback: reviewed_at
    stop: decided_at
    working_days: {conditional: 5}
"""


def test_two_stage_rule_loads(tmp_path, calendar, tz):
    write_rule(tmp_path / "rules", "two-stage", TWO_STAGE)
    rule = load_rules(tmp_path / "rules")["two-stage"]
    assert [s.id for s in rule.stages] == ["review", "answer"]
    review, answer = rule.stages
    assert (review.start, review.fallback, review.stop) == ("submitted_at", None, "reviewed_at")
    assert dict(review.working_days) == {"conditional": 2}
    assert rule.answer_stage is answer
    assert (answer.start, answer.fallback, answer.stop) == (
        "received_at",
        "reviewed_at",
        "decided_at",
    )
    assert rule.limit_for("conditional") == 5
    assert rule.share_types == ("conditional",)
    # The answer deadline uses the last stage's limit.
    start = dt.datetime(2024, 9, 27, 10, 0, tzinfo=tz)
    d = compute_deadline(start, rule, "conditional", calendar, tz)
    assert (d.working_days, d.deadline_date) == (5, dt.date(2024, 10, 10))


def test_stages_must_end_with_the_answer(tmp_path):
    text = TWO_STAGE.replace("stop: decided_at", "stop: reviewed_at")
    write_rule(tmp_path / "rules", "two-stage", text)
    with pytest.raises(RuleError, match="stages"):
        load_rules(tmp_path / "rules")


def test_stage_with_bad_event_is_named(tmp_path):
    text = TWO_STAGE.replace("start: submitted_at", "start: emailed_at")
    write_rule(tmp_path / "rules", "two-stage", text)
    with pytest.raises(RuleError, match=r"stages\[0\]\.start"):
        load_rules(tmp_path / "rules")
