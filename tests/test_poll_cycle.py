"""The poll cycle over a real SQLite store: upserts, history, rejections, crash safety, fingerprints."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import select, text
from storehelpers import at, ingest_records, make_runtime, record, snapshot

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.adapters.store import applications, runs
from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import SCHEMA_VERSION
from slamon.core.errors import StoreError
from slamon.service import poll
from slamon.service.poll import apply_fetch


@pytest.fixture
def engine(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


@pytest.fixture
def rt(tmp_path):
    return make_runtime(tmp_path)


def _events(engine):
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT application_id, kind, changes FROM application_event ORDER BY id")
        ).all()


def _sla(engine, aid):
    with engine.connect() as conn:
        return applications.load_sla(conn, [aid])[aid]


def test_first_poll_inserts_and_evaluates(engine, rt):
    s = ingest_records(
        engine,
        rt,
        [record("A1"), record("A2", received="2024-10-01 09:00")],
        at("2024-10-08 10:00"),
    )
    assert (s.inserted, s.updated, s.unchanged, s.evaluated) == (2, 0, 0, 2)
    a1 = _sla(engine, "A1")
    assert a1["stage"] == "pending"
    assert a1["deadline_date"].isoformat() == "2024-10-10"
    assert a1["deadline"].astimezone(rt.tz).date().isoformat() == "2024-10-10"
    assert _sla(engine, "A2")["deadline_date"].isoformat() == "2024-10-12"
    assert [(e[0], e[1]) for e in _events(engine)] == [("A1", "created"), ("A2", "created")]


def test_unchanged_rows_untouched_and_history_once(engine, rt):
    now = at("2024-10-08 10:00")
    ingest_records(engine, rt, [record("A1")], now)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT last_changed_at FROM application")).scalar_one()
    s = ingest_records(engine, rt, [record("A1")], at("2024-10-09 10:00"))
    assert (s.inserted, s.updated, s.unchanged) == (0, 0, 1)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT last_changed_at FROM application")).scalar_one() == before
    assert len(_events(engine)) == 1


def test_transition_recorded_once_with_its_changes(engine, rt):
    ingest_records(engine, rt, [record("A1")], at("2024-10-08 10:00"))
    answered = record("A1", decision="approved", decided_at=at("2024-10-11 09:30"))
    for _ in range(2):
        ingest_records(engine, rt, [answered], at("2024-10-11 10:00"))
    events = _events(engine)
    assert [e[1] for e in events] == ["created", "changed"]
    changes = json.loads(events[1][2])
    assert changes["decision"] == ["pending", "approved"]
    assert set(changes) == {"decision", "decided_at"}
    state = _sla(engine, "A1")
    assert state["stage"] == "answered_late"
    assert state["overdue_working_days"] == 1  # due 10 Oct, answered 11 Oct


def test_open_applications_reevaluated_each_cycle(engine, rt):
    ingest_records(engine, rt, [record("A1")], at("2024-09-30 10:00"))
    assert _sla(engine, "A1")["stage"] == "pending"
    ingest_records(engine, rt, [], at("2024-10-10 10:00"))
    assert _sla(engine, "A1")["stage"] == "due_soon"
    ingest_records(engine, rt, [], at("2024-10-14 10:00"))
    state = _sla(engine, "A1")
    assert state["stage"] == "overdue"
    # due 10 Oct: 11 Oct, 12 Oct (a makeup Saturday) and 14 Oct are working days after it
    assert state["overdue_working_days"] == 3


def test_bad_rows_rejected_with_row_field_reason_good_rows_load(engine, rt):
    rows = [
        RawRow(
            "f.csv:2",
            {
                "申请编号": "A1",
                "申请部门": "省税务局",
                "提供部门": "省公安厅",
                "资源名称": "户籍信息",
                "共享类型": "有条件共享",
                "申请时间": "2024-12-02 09:00",
                "审核状态": "通过",
                "收到时间": "2024-12-02 10:00",
            },
        ),
        RawRow(
            "f.csv:3",
            {
                "申请编号": "A2",
                "申请部门": "省税务局",
                "提供部门": "省公安厅",
                "资源名称": "户籍信息",
                "共享类型": "半条件",
                "申请时间": "2024-12-02 09:00",
            },
        ),
        RawRow(
            "f.csv:4",
            {
                "申请编号": "A3",
                "申请部门": "省税务局",
                "提供部门": "省公安厅",
                "资源名称": "户籍信息",
                "共享类型": "有条件共享",
                "申请时间": "2024-12-02 09:00",
                "收到时间": "2024-12-03 09:00",
                "审批结果": "通过",
                "审批时间": "2024-12-01 09:00",
            },
        ),
    ]
    s = apply_fetch(engine, rt, "file", FetchResult(rows), at("2024-12-05 10:00"))
    assert s.inserted == 1
    assert [(e.row, e.field) for e in s.errors] == [
        ("f.csv:3", "share_type"),
        ("f.csv:4", "decided_at"),
    ]
    assert "半条件" in s.errors[0].message
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT row_ref, field FROM rejected_row ORDER BY row_ref")
        ).all()
    assert stored == [("f.csv:3", "share_type"), ("f.csv:4", "decided_at")]
    # the same file again: nothing new, the rejections are kept once
    apply_fetch(engine, rt, "file", FetchResult(rows), at("2024-12-05 11:00"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rejected_row")).scalar_one() == 2
    # a corrected row loads and its rejection disappears
    fixed = RawRow("f.csv:3", {**rows[1].data, "共享类型": "无条件共享"})
    apply_fetch(engine, rt, "file", FetchResult([fixed]), at("2024-12-05 12:00"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT row_ref FROM rejected_row")).scalars().all() == ["f.csv:4"]


# A failure after each step of the cycle: the next step's function raises.
STEPS = {
    "validated": (poll, "_upsert"),
    "upserted": (poll, "_store_rejections"),
    "rejections": (poll, "evaluate_after_read"),
    "evaluated": (runs, "mark_imported"),
    "planned": (runs, "finish_run"),
}


@pytest.mark.parametrize("step", list(STEPS))
def test_failure_mid_cycle_leaves_store_unchanged(engine, rt, step, monkeypatch):
    ingest_records(engine, rt, [record("A1")], at("2024-10-08 10:00"))
    before = snapshot(engine)
    rows = FetchResult(
        [
            RawRow(
                "A1",
                dataclasses.asdict(
                    record("A1", decision="approved", decided_at=at("2024-10-09 09:00"))
                ),
            ),
            RawRow("A9", dataclasses.asdict(record("A9"))),
            RawRow("bad", {"application_id": "A10"}),
        ],
        cursor=at("2024-10-09 09:00"),
    )

    def boom(*_args: object, **_kw: object) -> None:
        raise RuntimeError(f"injected after {step}")

    with monkeypatch.context() as patch:
        patch.setattr(*STEPS[step], boom)
        with pytest.raises(RuntimeError, match="injected"):
            apply_fetch(engine, rt, "sql", rows, at("2024-10-09 10:00"))
    assert snapshot(engine) == before
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT status, error FROM poll_run ORDER BY id")).all()
    assert runs[-1][0] == "failed" and "injected" in runs[-1][1]
    s = apply_fetch(engine, rt, "sql", rows, at("2024-10-09 10:00"))
    assert (s.inserted, s.updated, s.rejected) == (1, 1, 1)
    assert _sla(engine, "A1")["stage"] == "answered_on_time"


def test_calendar_or_rule_change_recomputes_and_logs_moves(engine, tmp_path):
    rt5 = make_runtime(tmp_path)
    ingest_records(
        engine,
        rt5,
        [record("A1"), record("A2", received="2024-10-01 09:00")],
        at("2024-10-08 10:00"),
    )
    rt10 = make_runtime(
        tmp_path, rules={"dir": str(rt5.settings.rules_dir), "active": ["guizhou-2020"]}
    )
    s = ingest_records(engine, rt10, [], at("2024-10-08 11:00"))
    assert s.deadline_changes == 2
    # 29 Sep, 30 Sep, 8–12 Oct (12th a makeup Saturday), 14, 15, 16 Oct: the 10th working day
    assert _sla(engine, "A1")["deadline_date"].isoformat() == "2024-10-16"
    with engine.connect() as conn:
        moved = conn.execute(
            select(applications.CHANGE.c.application_id, applications.CHANGE.c.new_rule_id)
        ).all()
    assert sorted(moved) == [("A1", "guizhou-2020"), ("A2", "guizhou-2020")]
    # the same configuration again moves nothing
    assert ingest_records(engine, rt10, [], at("2024-10-08 12:00")).deadline_changes == 0


def test_newer_schema_stops_startup(tmp_path):
    """A store without a migration revision whose slamon_meta number is higher than this code's
    (tests/test_store_migrations.py: the revision check itself)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_store(url)
    with engine.begin() as conn:
        runs.set_meta(conn, "schema_version", str(SCHEMA_VERSION + 1))
        conn.execute(text("DROP TABLE alembic_version"))
    with pytest.raises(StoreError, match="更新版本的 slamon"):
        open_store(url)


def test_stored_datetimes_are_aware_and_round_trip(engine, rt):
    r = record("A1", received="2024-10-01 23:30")
    ingest_records(engine, rt, [r], at("2024-10-08 10:00"))
    with engine.connect() as conn:
        back = applications.load_records(conn, ["A1"])["A1"]
    assert back.received_at == r.received_at
    assert back.received_at.utcoffset() is not None
    assert back.content_hash() == r.content_hash()


def test_bulk_writes_store_datetimes_exactly_as_the_orm_does(engine, rt):
    """The fast insert path must write what SQLAlchemy's own types write (UTC text on SQLite),
    or range queries through the ORM would compare unlike strings."""
    from sqlmodel import Session

    from slamon.adapters.store.models import Application

    ingest_records(engine, rt, [record("A1", received="2024-10-01 23:30")], at("2024-10-08 10:00"))
    orm = Application(
        application_id="ORM",
        applicant_dept="x",
        provider_dept="y",
        resource_name="z",
        share_type="conditional",
        submitted_at=at("2024-09-26 09:00"),
        review_status="passed",
        received_at=at("2024-10-01 23:30"),
        decision="pending",
        content_hash="h",
        source="s",
        first_seen_at=at("2024-10-08 10:00"),
        last_changed_at=at("2024-10-08 10:00"),
    )
    with Session(engine) as session:
        session.add(orm)
        session.commit()
    with engine.connect() as conn:
        raw = dict(
            conn.exec_driver_sql(
                "SELECT application_id, received_at FROM application ORDER BY application_id"
            ).all()
        )
        deadline = conn.exec_driver_sql("SELECT deadline, deadline_date FROM sla_state").one()
    assert raw["A1"] == raw["ORM"] == "2024-10-01 15:30:00.000000"
    assert deadline == ("2024-10-12 15:59:59.999999", "2024-10-12")
    with engine.connect() as conn:  # and a range query through SQLAlchemy finds it
        hits = (
            conn.execute(
                select(applications.APP.c.application_id).where(
                    applications.APP.c.received_at >= at("2024-10-01 23:30"),
                    applications.APP.c.received_at < at("2024-10-01 23:31"),
                )
            )
            .scalars()
            .all()
        )
    assert sorted(hits) == ["A1", "ORM"]


def test_postgres_store_round_trip(pg_url, tmp_path):
    from storehelpers import fresh_pg_database

    rt = make_runtime(tmp_path)
    with fresh_pg_database(pg_url) as url:
        pg = open_store(url)
        r = record("A1", received="2024-10-01 23:30")
        ingest_records(pg, rt, [r, record("A2")], at("2024-10-08 10:00"))
        ingest_records(
            pg,
            rt,
            [record("A2", decision="approved", decided_at=at("2024-10-11 08:00"))],
            at("2024-10-11 10:00"),
        )
        with pg.connect() as conn:
            back = applications.load_records(conn, ["A1"])["A1"]
            states = applications.load_sla(conn)
            kinds = (
                conn.execute(text("SELECT kind FROM application_event ORDER BY id")).scalars().all()
            )
        pg.dispose()
    assert back.received_at == r.received_at
    assert states["A1"]["deadline_date"].isoformat() == "2024-10-12"
    assert states["A2"]["stage"] == "answered_late"
    assert kinds == ["created", "created", "changed"]
