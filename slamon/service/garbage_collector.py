"""Fewer runs of Python's cyclic garbage collector while a big read is stored.

A read allocates millions of short-lived objects (raw rows, records, value tuples) that reference
counting frees on its own: they form no cycles. The cyclic collector still runs every 700
allocations of containers and, as they pile up, sweeps the whole heap of the daemon (its
libraries' objects included): about a tenth of a first full read of a million rows (measured:
``benchmarks/bench_poll.py``). While a read runs its first generation waits for
:data:`READ_THRESHOLD` allocations instead; cycles are still collected, only less often, and the
usual thresholds return when the last read in progress ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

READ_THRESHOLD = 50_000  # container allocations between first-generation collections in a read

_lock = threading.Lock()
_depth = 0  # reads in progress (the daemon's threads share the collector)
_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections(threshold: int = READ_THRESHOLD) -> Iterator[None]:
    """Raise the collector's first threshold to ``threshold`` for the block (never lower it,
    never turn on a collector someone switched off with threshold 0); restore it when the last
    of the blocks running in any thread ends, whatever the way it ends."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            first, *older = _saved
            if first != 0 and first < threshold:
                gc.set_threshold(threshold, *older)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
