"""A read from the beginning of the platform's table (the first read, ``poll --full``, the nightly
full sync, a query without ``:since``) in a second process: the reader fetches and validates
batch after batch while the poll's own process stores, evaluates and plans the batch before.

A million-row read is CPU work in Python from end to end; two processes use two cores where one
process (one GIL) uses one. Reading and validating is about half of a first read
(``benchmarks/bench_poll.py``). Reads that start from a cursor are short and stay in process.

What crosses is plain data: the source (its URL, query and zone; no connection), the checks a
row must pass (:class:`RowChecks`), and back, validated batches, the read's final state, or its
error, pickled through a pipe: a full pipe makes the reader wait, so memory stays bounded. The
reader is a fresh interpreter (``python -m slamon.service.read_process``: forking a daemon that
runs threads is unsafe); it is stopped whenever the poll ends early, and if it dies, the read
fails with the reason and nothing is stored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import slamon
from slamon.adapters.sources.base import RawRow
from slamon.core.errors import SourceError
from slamon.core.records import raw_application_id
from slamon.core.secrets import mask_secrets
from slamon.service.batch_validation import RowChecks, ValidatedBatch, validate_batch
from slamon.service.garbage_collector import fewer_collections

_PROTOCOL = pickle.HIGHEST_PROTOCOL
FINISH_SECONDS = 10  # how long a reader that delivered everything may take to end on its own


def validated_batches(
    source: Any,
    since: dt.datetime | None,
    now: dt.datetime,
    full: bool,
    checks: RowChecks,
    store_url: str | None = None,
) -> Iterator[ValidatedBatch]:
    """The batches of ``source.batches(since, now=now, full=full)``, validated by a reader
    process; ``source.last_read`` is the reader's final state once they are all delivered.
    ``store_url``: a store holding applications, which the reader reads (its committed state,
    on a connection of its own) to leave rows whose raw digest is stored unvalidated and send
    only their ids: a re-read of an unchanged platform is little more than the fetch. Never a
    store the poll's transaction locks (a first read into an empty one defers its indexes)."""
    env = dict(os.environ)  # the reader imports this very slamon, wherever it was imported from
    here = str(Path(slamon.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    try:
        reader = subprocess.Popen(
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
    except OSError as exc:
        raise SourceError(f"无法启动读取进程（{exc.__class__.__name__}: {exc}）") from exc
    assert reader.stdin is not None and reader.stdout is not None
    finished = False
    try:
        with contextlib.suppress(BrokenPipeError):  # a reader that could not start: see _next
            pickle.dump((source, since, now, full, checks, store_url), reader.stdin, _PROTOCOL)
            reader.stdin.close()
        while True:
            kind, payload = _next(reader.stdout, reader)
            if kind == "batch":
                yield payload
            elif kind == "done":
                source.last_read = payload
                finished = True
                return
            else:
                raise payload
    finally:
        if finished:  # it closes its connection and ends by itself
            with contextlib.suppress(subprocess.TimeoutExpired):
                reader.wait(FINISH_SECONDS)
        _stop(reader)
        reader.stdout.close()


def _stop(reader: subprocess.Popen[bytes]) -> int:
    if reader.poll() is None:
        reader.kill()
    return reader.wait()


def _next(channel: BinaryIO, reader: subprocess.Popen[bytes]) -> tuple[str, Any]:
    try:
        message: tuple[str, Any] = pickle.load(channel)
    except (EOFError, pickle.UnpicklingError):
        code = _stop(reader)
        raise SourceError(
            f"读取进程意外退出（退出码 {code}），本次读取未完成，未写入任何数据"
        ) from None
    return message


def _read(
    source: Any,
    since: dt.datetime | None,
    now: dt.datetime,
    full: bool,
    checks: RowChecks,
    channel: BinaryIO,
    store_url: str | None = None,
) -> None:
    """The reader process: fetch, validate, send; then the read's state, or its error. The pipe
    holds what the poll has not taken yet: a full pipe makes the reader wait (bounded memory)."""
    try:
        try:
            with fewer_collections(), _stored_contents(store_url) as stored:
                batches = source.batches(since, now=now, full=full)
                # closed (its lookup thread done) before the store's connection is
                with contextlib.closing(_looked_up(batches, stored, _is_server(store_url))) as read:
                    for rows, known in read:
                        batch = validate_batch(rows, checks, known)
                        pickle.dump(("batch", batch), channel, _PROTOCOL)
            pickle.dump(("done", source.last_read), channel, _PROTOCOL)
        except BrokenPipeError:
            raise
        except BaseException as exc:  # noqa: BLE001 — every failure goes back to the poll
            pickle.dump(("error", _portable(exc)), channel, _PROTOCOL)
        channel.flush()
    except BrokenPipeError:  # the poll has ended (it failed, or was stopped): nobody listens
        pass
    finally:
        dispose = getattr(source, "dispose", None)
        if dispose is not None:
            dispose()


Stored = Callable[[Sequence[RawRow]], dict[str, tuple[str | None, str]] | None]


def _is_server(store_url: str | None) -> bool:
    return store_url is not None and not store_url.startswith("sqlite")


def _looked_up(
    batches: Iterable[Sequence[RawRow]], stored: Stored | None, ahead_of_time: bool
) -> Iterator[tuple[Sequence[RawRow], dict[str, tuple[str | None, str]] | None]]:
    """Each batch with what the store holds for its ids (``stored``). From a database server
    (``ahead_of_time``) the answer for a batch is awaited in a thread (waiting releases the GIL)
    while the batch before it is validated: a re-read does not wait for the server batch after
    batch. (A SQLite store answers in this process, on the thread that opened it.)"""
    if stored is None or not ahead_of_time:
        yield from ((rows, stored(rows) if stored else None) for rows in batches)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="slamon-lookup") as pool:
        ahead: tuple[Sequence[RawRow], Future[Any]] | None = None
        for rows in batches:
            asked = (rows, pool.submit(stored, rows))
            if ahead is not None:
                yield ahead[0], ahead[1].result()
            ahead = asked
        if ahead is not None:
            yield ahead[0], ahead[1].result()


@contextlib.contextmanager
def _stored_contents(store_url: str | None) -> Iterator[Stored | None]:
    """What the store holds for a batch's ids (raw digest, content hash), read on one
    connection of the reader's own (one snapshot: the store as the poll began); nothing
    without a store."""
    if store_url is None:
        yield None
        return
    from slamon.adapters.store import contents
    from slamon.adapters.store.db import make_engine

    engine = make_engine(store_url)
    try:
        with engine.connect() as conn:

            def stored(rows: Sequence[RawRow]) -> dict[str, tuple[str | None, str]]:
                ids = [a for a in (raw_application_id(r.data) for r in rows) if a is not None]
                return contents.stored_contents(conn, ids)

            yield stored
            conn.rollback()
    finally:
        engine.dispose()


def _portable(exc: BaseException) -> BaseException:
    """``exc`` as the poll's process can receive it: itself when it survives pickling (slamon's
    errors do), else a SourceError with its class and (masked) message."""
    try:
        back = pickle.loads(pickle.dumps(exc))
        if type(back) is type(exc) and str(back) == str(exc):
            return exc
    except Exception:  # noqa: BLE001 — any error that cannot travel is retold
        pass
    return SourceError(mask_secrets(f"读取失败：{exc.__class__.__name__}: {exc}"))


def main() -> None:
    """``python -m slamon.service.read_process``: the request on stdin, the answers on stdout
    (anything else printed goes to stderr, so the answers stay intact)."""
    channel = sys.stdout.buffer
    sys.stdout = sys.stderr
    source, since, now, full, checks, store_url = pickle.load(sys.stdin.buffer)
    _read(source, since, now, full, checks, channel, store_url)
    with contextlib.suppress(BrokenPipeError):
        channel.close()


if __name__ == "__main__":
    main()
