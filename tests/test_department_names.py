"""Department names: a near miss of a known name (typo, stray space, full width) is reported with
the name it probably means in check-config, status and the monthly report; partial --department."""

from __future__ import annotations

import json

import pytest
from storehelpers import REPO_ROOT, at, ingest_records, make_runtime, record

from slamon.adapters.store.db import open_store
from slamon.core.departments import matching, near_misses, normalized, suggestion

CONTACTS = {"省公安厅": ["ga@example.org"], "省公共资源交易中心": ["jy@example.org"]}


def test_suggestions_fold_spaces_and_widths_and_allow_small_typos() -> None:
    known = ["省公安厅", "省公共资源交易中心", "省财政厅", "省大数据发展管理局"]
    assert suggestion("省公 安厅", known) == "省公安厅"
    assert suggestion("省公安厅\u3000", known) == "省公安厅"
    assert normalized("ＡＢ　Ｃ") == "ABC"
    assert suggestion("省公共资源交易中新", known) == "省公共资源交易中心"
    assert suggestion("省大数据发展管理", known) == "省大数据发展管理局"
    # short names differ from other real departments by one character: not guessed
    assert suggestion("省民政厅", known) is None
    assert near_misses(["省公 安厅", "省公安厅", "省民政厅"], known, {}) == {
        "省公 安厅": "省公安厅"
    }
    assert matching("公安厅", ["省公安厅", "省公 安厅", "黔南州"], {}) == ["省公 安厅", "省公安厅"]
    assert matching("黔南布依族苗族自治州", ["黔南州"], {"黔南布依族苗族自治州": "黔南州"}) == [
        "黔南州"
    ]


@pytest.fixture
def store(tmp_path, write_config):
    cfg = write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
            "contacts": CONTACTS,
            "supervisors": ["boss@example.org"],
        }
    )
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    rt = make_runtime(tmp_path, contacts=CONTACTS)
    ingest_records(
        engine,
        rt,
        [
            record("T1", received="2024-10-08 10:00", provider_dept="省公 安厅"),
            record("T2", received="2024-10-09 10:00", provider_dept="省公安厅"),
        ],
        at("2024-10-10 10:00"),
    )
    return cfg


def test_typo_department_in_the_report_note(run_cli, store) -> None:
    res = run_cli(
        ["report", "monthly", "--month", "2024-10", "--format", "json", "--now", "2024-11-05"],
        config=store,
    )
    dq = json.loads(res.stdout)["data_quality"]
    assert dq["unknown_departments"] == [
        {"name": "省公 安厅", "suggestion": "省公安厅", "applications": 1, "in_data": False}
    ]
    text = run_cli(
        ["report", "monthly", "--month", "2024-10", "--now", "2024-11-05"], config=store
    ).stdout
    assert "部门名称疑有误：“省公 安厅”（1件）不在已知部门名单中，疑为“省公安厅”" in text


def test_typo_department_in_status_and_check_config(run_cli, store) -> None:
    res = run_cli(["status", "--now", "2024-10-20T10:00"], config=store)
    assert res.exit_code == 0, res.stderr
    assert "部门名称疑有误" in res.stderr and "疑为“省公安厅”" in res.stderr
    res = run_cli(["check-config"], config=store)
    assert "数据中的“省公 安厅”不在已知部门名单中，疑为“省公安厅”" in res.stdout + res.stderr


def test_status_department_matches_partial_names_and_says_when_nothing_matches(
    run_cli, store
) -> None:
    res = run_cli(
        ["status", "--department", "公安厅", "--now", "2024-10-20T10:00", "--json"], config=store
    )
    assert res.exit_code == 0, res.stderr
    assert sorted(i["application_id"] for i in json.loads(res.stdout)) == ["T1", "T2"]
    assert "匹配多个提供部门" in res.stderr
    res = run_cli(
        ["status", "--department", "省公安厅", "--now", "2024-10-20T10:00", "--json"], config=store
    )
    assert [i["application_id"] for i in json.loads(res.stdout)] == ["T2"]
    res = run_cli(
        ["status", "--department", "教育厅", "--now", "2024-10-20T10:00", "--json"], config=store
    )
    assert res.exit_code == 0 and json.loads(res.stdout) == []
    assert "没有名称包含“教育厅”的提供部门" in res.stderr
