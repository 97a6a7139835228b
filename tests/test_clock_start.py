"""One clock start (core/stages.clock_start, stored with the SLA state): a rule whose clock starts
at submission (``clock.start: submitted_at``) shows the same start in status, explain, the
reminder mail, the weekly digest and the monthly report — before, only the report did."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from storehelpers import REPO_ROOT, at, ingest_records, make_runtime, record

from slamon.adapters.render.text import render_text
from slamon.adapters.store.db import open_store
from slamon.service.delivery import deliver_due
from slamon.service.explain import explain
from slamon.service.reports import monthly_report, rendered_digest
from slamon.service.status import build_status
from slamon.service.store_upgrade import upgrade_store

DEPT, CONTACT = "省公共资源交易中心", "lianxiren@ggzy.example.gov.cn"


def _submitted_rule(tmp_path: Path) -> dict[str, Any]:
    folder = tmp_path / "site-rules"
    folder.mkdir()
    text_ = (REPO_ROOT / "slamon/data/rules/guizhou-2023.yaml").read_text(encoding="utf-8")
    text_ = text_.replace("  start: received_at ", "  start: submitted_at")
    assert "start: submitted_at" in text_
    (folder / "guizhou-2023.yaml").write_text(text_, encoding="utf-8")
    return {"dir": str(folder), "active": ["guizhou-2023"]}


def test_a_submitted_at_rule_shows_one_start_everywhere(
    tmp_path: Path, smtp_server: Any, store_url: str
) -> None:
    rt = make_runtime(
        tmp_path,
        rules=_submitted_rule(tmp_path),
        smtp=smtp_server.smtp_config(),
        contacts={DEPT: [CONTACT]},
    )
    engine = open_store(store_url)
    try:
        # Submitted Mon 12-02 09:00, review still pending: under this rule the clock runs.
        waiting = record(
            "S1",
            None,
            submitted_at=at("2024-12-02 09:00"),
            review_status="pending",
            reviewed_at=None,
        )
        now = at("2024-12-16 08:00")
        ingest_records(engine, rt, [waiting], now, plan=True)

        (item,) = build_status(engine, rt, now).items
        status = item.as_json()
        assert status["stage"] == "overdue"
        assert dt.datetime.fromisoformat(status["received_at"]) == at("2024-12-02 09:00")

        evidence = explain(engine, rt, "S1", now).as_json()
        assert evidence["clock_field"] == "submitted_at"
        assert evidence["clock_start"] == "2024-12-02T09:00:00+08:00"
        assert evidence["days"][0]["date"] == "2024-12-02"  # the day walk starts there too

        deliver_due(engine, rt, at("2024-12-16 09:00"), "w")
        (mail,) = smtp_server.messages
        assert "提交申请 2024年12月2日 09:00" in mail.part("plain")
        assert "收到申请 —" not in mail.part("plain")

        digest, rendered = rendered_digest(engine, rt, "2024-W50", at("2024-12-16 10:00"))
        assert digest.current.total.overdue == 1
        assert "2024年12月2日提交申请" in rendered.text

        report = render_text(monthly_report(engine, rt, "2024-12", now=at("2025-01-02 09:00")))
        assert "S1  2024年12月2日  2024年12月9日" in report
    finally:
        engine.dispose()


def test_a_store_made_before_gets_the_new_state_columns(tmp_path: Path) -> None:
    """sla_state.started_at (and start_event, extended_by, flags) are added by
    ``slamon store upgrade`` to a store made before migrations."""
    from oldstores import make_old_store

    url = f"sqlite:///{tmp_path / 'store.db'}"
    make_old_store(url, rows=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        for column in ("started_at", "start_event", "extended_by", "flags"):
            conn.execute(text(f"ALTER TABLE sla_state DROP COLUMN {column}"))
    engine.dispose()
    upgrade_store(url)
    engine = open_store(url)
    try:
        with engine.connect() as conn:
            names = {c["name"] for c in inspect(conn).get_columns("sla_state")}
        assert {"started_at", "start_event", "extended_by", "flags"} <= names
        rt = make_runtime(tmp_path)
        ingest_records(engine, rt, [record("A1")], at("2024-10-10 10:00"))
        (item,) = build_status(engine, rt, at("2024-10-10 10:00")).items
        assert item.state.started_at == at("2024-09-27 10:00")
    finally:
        engine.dispose()
