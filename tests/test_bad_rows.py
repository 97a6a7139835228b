"""Every bad row is only a bad row: on SQLite, PostgreSQL and MariaDB stores, a row with a date outside the
calendar, a value longer than the store's column, a NUL or control character, an invisible id
or a combination that cannot be true is rejected with field and reason while the good rows load;
two simultaneous polls on a PostgreSQL store both succeed."""

from __future__ import annotations

import threading

from sqlalchemy import text
from storehelpers import at, fresh_pg_database, make_runtime

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.adapters.sources.files import FileSource
from slamon.adapters.sources.folder import FolderSource
from slamon.adapters.store.db import open_store
from slamon.service.poll import apply_fetch, run_poll_cycle

NOW = at("2026-11-20 10:00")
HEADER = "申请编号,申请部门,提供部门,资源名称,共享类型,申请时间,审核状态,审核时间,收到时间,审批结果,审批时间\n"


def good(aid: str) -> str:
    return (
        f"{aid},省税务局,省公安厅,户籍信息,有条件共享,2026-11-02 09:00,通过,"
        "2026-11-02 10:00,2026-11-02 10:00,,\n"
    )


def raw(aid: str, **over: str) -> RawRow:
    data = {
        "application_id": aid,
        "applicant_dept": "省税务局",
        "provider_dept": "省公安厅",
        "resource_name": "户籍信息",
        "share_type": "有条件共享",
        "submitted_at": "2026-11-02 09:00",
        "review_status": "通过",
        "reviewed_at": "2026-11-02 10:00",
        "received_at": "2026-11-02 10:00",
    }
    data.update(over)
    return RawRow(f"t:{aid}", data)


HOSTILE = {
    "received_at": raw("B1", received_at="2029-11-02 10:00"),
    "submitted_at": raw("B2", submitted_at="1999-01-01 10:00"),
    "resource_name": raw("B3", resource_name="名" * 501),
    "applicant_dept": raw("B4", applicant_dept="省税务局\x00"),
    "provider_dept": raw("B5", provider_dept="省公安\x1b厅"),
    "decision": raw("B6", review_status="驳回", decision="通过", decided_at="2026-11-03 10:00"),
    "decided_at": raw("B7", decision="通过", decided_at="2021-11-03 10:00", received_at=""),
    "application_id": raw("\u200b"),
}


def _ids(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT application_id FROM application")).scalars())


def test_file_with_one_2029_date_loads_its_good_rows(store_url, tmp_path):
    f = tmp_path / "export.csv"
    bad = good("GZ2").replace("2026-11-02 10:00,,", "2029-11-02 10:00,,")
    f.write_text(HEADER + good("GZ1") + bad + good("GZ3"), encoding="utf-8")
    engine = open_store(store_url)
    try:
        s = run_poll_cycle(engine, make_runtime(tmp_path), FileSource(f), NOW)
        assert _ids(engine) == {"GZ1", "GZ3"}
        assert [(e.row, e.field) for e in s.errors] == [("export.csv:3", "received_at")]
        assert "超出日历范围" in s.errors[0].message
    finally:
        engine.dispose()


def test_each_hostile_row_is_rejected_with_field_and_reason(store_url, tmp_path):
    engine = open_store(store_url)
    try:
        rows = [raw("OK1"), *HOSTILE.values(), raw("OK2")]
        s = apply_fetch(engine, make_runtime(tmp_path), "test", FetchResult(rows=rows), NOW)
        assert _ids(engine) == {"OK1", "OK2"}
        assert [e.field for e in s.errors] == list(HOSTILE)
        assert all(e.message for e in s.errors)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT field FROM rejected_row")).scalars().all()
        assert sorted(stored) == sorted(HOSTILE)
    finally:
        engine.dispose()


def test_folder_with_one_bad_row_never_fails_the_poll(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    bad = good("GZ2").replace("2026-11-02 10:00,,", "2029-11-02 10:00,,")
    (folder / "a.csv").write_text(HEADER + good("GZ1") + bad, encoding="utf-8")
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    src = FolderSource(folder, settle_seconds=0)
    s = run_poll_cycle(engine, make_runtime(tmp_path), src, NOW)
    assert (s.inserted, s.rejected) == (1, 1)
    s = run_poll_cycle(engine, make_runtime(tmp_path), src, NOW)
    assert (s.fetched, s.rejected) == (0, 0)


def test_two_simultaneous_polls_on_postgresql_both_succeed(pg_url, tmp_path):
    rows = [raw(f"C{i:04d}") for i in range(300)]
    with fresh_pg_database(pg_url) as url:
        open_store(url).dispose()
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []
        results = []

        def poll() -> None:
            engine = open_store(url)
            try:
                barrier.wait()
                results.append(
                    apply_fetch(engine, make_runtime(tmp_path), "test", FetchResult(rows), NOW)
                )
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)
            finally:
                engine.dispose()

        threads = [threading.Thread(target=poll) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sorted(r.inserted for r in results) == [0, 300]
        engine = open_store(url)
        assert len(_ids(engine)) == 300
        engine.dispose()
