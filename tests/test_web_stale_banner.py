"""The overview warns, in a banner at the top, when its figures may lag the platform: no
successful read yet, or the last one finished more than ``source.stale_minutes`` ago."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from webhelpers import NOW, Dashboard, login, make_dashboard

from slamon.adapters.store import runs
from slamon.adapters.store.db import open_store

BANNER = 'id="stale-banner"'


def _read_at(engine, finished: dt.datetime) -> None:
    with engine.begin() as conn:
        run = runs.start_run(conn, "test", finished - dt.timedelta(seconds=5))
        runs.finish_run(conn, run, finished, fetched=1, inserted=0, updated=0, rejected=0)


def _overview(tmp_path: Path, **config) -> tuple[TestClient, object]:
    d = make_dashboard(tmp_path, **config)
    client = TestClient(d.app(NOW))
    login(client, "viewer")
    return client, d.engine


@pytest.mark.parametrize(
    ("minutes_ago", "stale"), [(30, False), (120, False), (121, True), (60 * 24, True)]
)
def test_banner_after_stale_minutes(tmp_path: Path, minutes_ago: int, stale: bool) -> None:
    client, engine = _overview(tmp_path, source={"kind": "demo", "stale_minutes": 120})
    _read_at(engine, NOW - dt.timedelta(minutes=minutes_ago))
    page = client.get("/").text
    assert (BANNER in page) is stale
    if stale:
        assert "数据可能已过时" in page and "已超过 120 分钟" in page
        assert 'role="alert"' in page


def test_banner_before_any_read(tmp_path: Path) -> None:
    d = make_dashboard(tmp_path)
    empty = Dashboard(d.rt, open_store(f"sqlite:///{tmp_path / 'never-read.db'}"), tmp_path)
    client = TestClient(empty.app(NOW))
    login(client, "viewer")
    page = client.get("/").text
    assert BANNER in page and "还没有成功读取过数据源" in page


def test_no_banner_when_no_source_is_read(tmp_path: Path) -> None:
    """source.kind none: the store is fed by imports, so age says nothing."""
    client, _ = _overview(tmp_path, source={"kind": "none"})
    assert BANNER not in client.get("/").text
