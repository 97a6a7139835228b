"""A read runs with fewer cyclic collections: the threshold is raised for the read only, comes
back however the read ends (and only when the last of overlapping reads ends), a collector
someone switched off stays off, and cycles made during a read are still collected."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest
from storehelpers import at, make_runtime, record

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.adapters.store.db import open_store
from slamon.service.garbage_collector import READ_THRESHOLD, fewer_collections
from slamon.service.poll import apply_batches

NOW = at("2024-10-14 10:00")


@pytest.fixture(autouse=True)
def usual_thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_the_threshold_is_raised_for_the_block_and_comes_back(usual_thresholds):
    with fewer_collections():
        assert gc.get_threshold() == (READ_THRESHOLD, 10, 10)
    assert gc.get_threshold() == usual_thresholds
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("the read failed")
    assert gc.get_threshold() == usual_thresholds


def test_a_collector_switched_off_or_already_relaxed_is_left_so():
    gc.set_threshold(0)
    with fewer_collections():
        assert gc.get_threshold()[0] == 0
    gc.set_threshold(10 * READ_THRESHOLD)
    with fewer_collections():
        assert gc.get_threshold()[0] == 10 * READ_THRESHOLD
    assert gc.get_threshold()[0] == 10 * READ_THRESHOLD


def test_overlapping_reads_restore_the_threshold_when_the_last_one_ends(usual_thresholds):
    entered, release = threading.Event(), threading.Event()

    def other_read() -> None:
        with fewer_collections():
            entered.set()
            release.wait(10)

    worker = threading.Thread(target=other_read)
    worker.start()
    assert entered.wait(10)
    with fewer_collections():
        pass
    assert gc.get_threshold()[0] == READ_THRESHOLD  # the other read is still running
    release.set()
    worker.join(10)
    assert gc.get_threshold() == usual_thresholds


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: reference counting alone never frees it


def test_cycles_made_during_a_read_are_still_collected():
    gc.collect()
    with fewer_collections(threshold=5_000):
        gone = [weakref.ref(Node()) for _ in range(100)]
        assert any(ref() is not None for ref in gone)
        for _ in range(3):
            _churn = [[] for _ in range(5_000)]  # container allocations, as a read makes
        assert all(ref() is None for ref in gone)  # collected without gc.collect()


def test_a_poll_reads_with_the_raised_threshold_and_restores_it(tmp_path, usual_thresholds):
    seen: list[tuple[int, int, int]] = []

    def batches() -> Iterator[list[RawRow]]:
        for i in range(2):
            seen.append(gc.get_threshold())
            yield [RawRow(f"r{i}", record(f"A{i}").as_dict())]

    def failing() -> Iterator[list[RawRow]]:
        yield from batches()
        raise ConnectionError("the platform went away")

    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    rt = make_runtime(tmp_path)
    try:
        summary = apply_batches(engine, rt, "src", batches(), lambda: FetchResult([]), NOW)
        assert summary.inserted == 2
        assert gc.get_threshold() == usual_thresholds
        with pytest.raises(ConnectionError):
            apply_batches(engine, rt, "src", failing(), lambda: FetchResult([]), NOW)
        assert gc.get_threshold() == usual_thresholds
    finally:
        engine.dispose()
    assert seen and all(t[0] == READ_THRESHOLD for t in seen)
