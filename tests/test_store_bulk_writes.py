"""Bulk writes and lookups by id on every store (on PostgreSQL: binary COPY, a savepoint before a
copy that may meet stored keys, ids joined as an array): what is stored is what was given."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from storehelpers import record

from slamon.adapters.store import applications, contents, runs
from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import ImportedFile

TZ = ZoneInfo("Asia/Shanghai")
IMPORTED = ImportedFile.__table__


def _imported(conn) -> dict[str, tuple[str, dt.datetime]]:
    rows = conn.execute(select(IMPORTED.c.sha256, IMPORTED.c.name, IMPORTED.c.imported_at))
    return {h: (name, at) for h, name, at in rows}


def test_rows_already_stored_are_left_as_they_are_and_the_others_added(store_url):
    store = open_store(store_url)
    first = dt.datetime(2025, 1, 6, 9, 30, tzinfo=TZ)
    later = first + dt.timedelta(hours=2)
    try:
        with store.begin() as conn:
            runs.mark_imported(
                conn, [("a" * 64, "一月.xlsx"), ("b" * 64, "二月.xlsx")], None, first
            )
        with store.begin() as conn:
            # one stored key among new ones, and a key twice in the same call
            files = [("c" * 64, "三月.xlsx"), ("a" * 64, "改名.xlsx"), ("c" * 64, "又一次.xlsx")]
            runs.mark_imported(conn, files, None, later)
            runs.mark_imported(conn, [("d" * 64, "四月.xlsx")], None, later)  # still usable
            stored = _imported(conn)
        assert set(stored) == {"a" * 64, "b" * 64, "c" * 64, "d" * 64}
        assert stored["a" * 64][0] == "一月.xlsx"
        assert stored["a" * 64][1] == first
        assert stored["c" * 64][0] == "三月.xlsx"
        assert stored["d" * 64][1] == later
    finally:
        store.dispose()


def test_instants_are_stored_whatever_zone_they_come_in(store_url):
    store = open_store(store_url)
    local = dt.datetime(2024, 12, 31, 23, 30, tzinfo=TZ)
    utc = dt.datetime(2024, 12, 31, 15, 30, tzinfo=dt.UTC)  # the same instant
    west = local.astimezone(ZoneInfo("America/Los_Angeles"))
    try:
        with store.begin() as conn:
            runs.mark_imported(conn, [("1" * 64, "本地.csv")], 7, local)
            runs.mark_imported(conn, [("2" * 64, "协调世界时.csv")], None, utc)
            runs.mark_imported(conn, [("3" * 64, "西部.csv")], None, west)
        with store.connect() as conn:
            stored = _imported(conn)
        assert {at for _name, at in stored.values()} == {local}
    finally:
        store.dispose()


def test_a_lookup_by_id_finds_each_stored_id_once(store_url):
    store = open_store(store_url)
    now = dt.datetime(2025, 1, 6, 10, 0, tzinfo=TZ)
    records = [record(f"LK{i:03d}") for i in range(30)]
    hashes = {r.application_id: r.content_hash() for r in records}
    digests = {r.application_id: f"d{i:031d}" for i, r in enumerate(records)}
    try:
        with store.begin() as conn:
            applications.insert_applications(conn, records, hashes, "平台", now, None, digests)
        wanted = ["LK003", "NOPE", "LK003", "LK029", "LK000", ""]
        with store.connect() as conn:
            found = contents.stored_contents(conn, wanted)
            assert contents.stored_contents(conn, []) == {}
            assert applications.existing_hashes(conn, ["LK010", "LK999"]) == {
                "LK010": hashes["LK010"]
            }
        assert found == {a: (digests[a], hashes[a]) for a in ("LK000", "LK003", "LK029")}
    finally:
        store.dispose()
