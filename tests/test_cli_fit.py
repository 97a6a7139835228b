"""Output that fits: in an 80-column terminal ``status`` keeps every id and department name whole
(low-value columns go first, ``--wide`` keeps them all); in a pipe ``explain``'s rule and panels
are as wide as their content, not 10,000 columns."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from rich.cells import cell_len
from storehelpers import at, record, store_config_with

from slamon.cli.fit import Col, fit_table

# Ids that agree in their first 10 characters, as a platform's numbering does: cut to fit they
# all read "NC20261100…".
IDS = [f"NC2026110000{n:04d}" for n in (1, 2, 17, 123)]
DEPT = "省人力资源社会保障厅信息中心"
RESOURCE = "省公共资源交易中心工程建设项目招标投标全流程电子化交易数据"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def store_config(tmp_path, write_config):
    records = [record(aid, provider_dept=DEPT, resource_name=RESOURCE) for aid in IDS]
    return store_config_with(tmp_path, write_config, records, at("2024-10-08 16:00"))


def _slamon(cfg, *argv: str, terminal: bool) -> str:
    """Run the CLI in a subprocess: an 80-column terminal (rich's TTY_COMPATIBLE and COLUMNS)
    or a pipe."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLAMON_")}
    env.update(COLUMNS="80", NO_COLOR="1", TTY_COMPATIBLE="1" if terminal else "0")
    res = subprocess.run(
        [sys.executable, "-m", "slamon", "--config", str(cfg), *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cfg.parent,
        timeout=120,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    return ANSI.sub("", res.stdout)


def _cell(line: str, n: int) -> str:
    parts = line.split("│")
    return parts[n].strip() if line.startswith("│") and len(parts) > n else ""


def test_status_in_an_80_column_terminal_keeps_ids_and_names_whole(store_config):
    out = _slamon(store_config, "status", "--now", "2024-10-14T10:00", terminal=True)
    lines = out.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert "…" not in out
    for aid in IDS:  # each id whole on its own row
        assert sum(aid in line for line in lines) == 1, aid
    # The department name folds onto more lines inside its cell, never cut: read down the
    # applications' 提供部门 column, it is there once per application.
    column = "".join(
        _cell(line, 2) for line in lines[lines.index(next(x for x in lines if IDS[0] in x)) :]
    )
    assert column.count(DEPT) == len(IDS)
    assert "未显示：收到时间" in out and "--wide" in out
    assert "收到时间" not in out.replace("未显示：收到时间", "")


def test_status_wide_shows_every_column_with_ids_whole(store_config):
    out = _slamon(store_config, "status", "--wide", "--now", "2024-10-14T10:00", terminal=True)
    assert "收到时间" in out and "资源名称" in out and "未显示" not in out
    lines = out.splitlines()
    for aid in IDS:
        assert sum(aid in line for line in lines) == 1, aid


def test_explain_in_a_pipe_has_bounded_lines_and_all_its_content(store_config):
    out = _slamon(store_config, "explain", IDS[0], "--now", "2024-10-14T10:00", terminal=False)
    lines = out.splitlines()
    assert max(cell_len(line) for line in lines) <= 200
    assert f"申请 {IDS[0]} 的判定依据" in lines[0] and cell_len(lines[0]) <= 80
    for text in (DEPT, RESOURCE, "适用规则", "《贵州省政务数据资源管理办法》", "逐日计算", "结论"):
        assert text in out, text


def test_a_table_too_wide_to_fit_folds_text_and_never_cuts_an_id():
    cols = (Col("编号", whole=True), Col("名称", squeeze=4), Col("备注", drop=1))
    rows = [["X" * 30, "甲乙丙丁戊己庚辛", "可以不看"]]
    fitted = fit_table("t", cols, rows, width=30)
    assert fitted.dropped == ("备注",)
    widths = [c.width for c in fitted.table.columns]
    assert widths == [30, 4]  # the id whole even beyond the 30 columns; the name folded
    assert fitted.table.width == 30 + 4 + 3 * 2 + 1


def test_a_table_that_fits_keeps_every_column_at_its_natural_width():
    cols = (Col("编号", whole=True), Col("名称", floor=2), Col("备注", drop=1, floor=2))
    fitted = fit_table("t", cols, [["A1", "甲乙丙", "丁"]], width=10_000)
    assert fitted.dropped == ()
    assert [c.width for c in fitted.table.columns] == [4, 6, 4]
    assert fitted.table.width is None
