"""``check-config`` reaches the store and logs in to the relay; outages log one line per failure
and one when they end, never a traceback per attempt."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from storehelpers import REPO_ROOT, at, make_runtime

from slamon.adapters.store.db import make_engine, open_store
from slamon.daemon import Daemon

DOWN_STORE = "postgresql+psycopg://postgres:pw@127.0.0.1:1/test"


def _config(write_config: Any, tmp_path: Path, server: Any, store: str, **smtp: Any) -> Path:
    return write_config(
        {
            "store": {"url": store},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
            "smtp": server.smtp_config(**smtp),
        }
    )


def test_check_config_names_a_store_that_is_down(tmp_path, write_config, run_cli, smtp_server):
    res = run_cli(["check-config"], config=_config(write_config, tmp_path, smtp_server, DOWN_STORE))
    assert res.exit_code == 1
    line = next(x for x in res.stdout.splitlines() if "存储库" in x)
    assert line.startswith("错误") and "127.0.0.1:1" in line
    assert ":pw@" not in res.stdout and ":***@" in line
    assert "0 项错误" not in res.stdout


def test_check_config_logs_in_to_the_relay(tmp_path, write_config, run_cli, smtp_server):
    smtp_server.require_auth("slamon", "right-password")
    (tmp_path / "pw.txt").write_text("wrong-password\n")
    store = "sqlite:///store.db"
    cfg = _config(
        write_config, tmp_path, smtp_server, store, username="slamon", password_file="pw.txt"
    )
    res = run_cli(["check-config"], config=cfg)
    line = next(x for x in res.stdout.splitlines() if "邮件服务器" in x)
    assert res.exit_code == 1 and line.startswith("错误") and "535" in line, res.stdout
    assert "slamon" in line and "wrong-password" not in res.stdout
    store_line = next(x for x in res.stdout.splitlines() if "存储库" in x)
    assert store_line.startswith("通过")
    (tmp_path / "pw.txt").write_text("right-password\n")
    res = run_cli(["check-config"], config=cfg)
    line = next(x for x in res.stdout.splitlines() if "邮件服务器" in x)
    assert line.startswith("通过") and "登录成功" in line and "235" in line
    assert smtp_server.messages == []  # nothing was sent


def test_store_outage_logs_one_line_per_failure_and_one_when_it_ends(tmp_path, caplog):
    rt = make_runtime(tmp_path)
    down = make_engine(DOWN_STORE)
    moment = [at("2026-11-20 10:00")]
    daemon = Daemon(rt, down, clock=lambda: moment[0], holder="d1")
    caplog.set_level(logging.INFO, logger="slamon")
    for _ in range(3):
        assert daemon.renew() is False
        moment[0] += dt.timedelta(seconds=5)
    daemon.engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    assert daemon.renew() is True
    records = [r for r in caplog.records if r.name == "slamon.daemon"]
    messages = [r.getMessage() for r in records]
    assert [m.split()[0] for m in messages] == [
        "outage.began",
        "outage.continues",
        "outage.continues",
        "outage.ended",
        "lease.acquired",
    ]
    assert all(r.exc_info is None for r in records)
    assert all(len(m) < 500 and "\n" not in m for m in messages)
    assert "failures=3 seconds=15" in messages[3]
