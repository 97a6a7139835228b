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
import queue
import subprocess
import sys
import threading
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
SHARED_EVERY = 3  # of every this many batches the poll's process validates one (server stores)
AHEAD = 4  # validated batches the reader may have sent that the poll has not taken yet
FINISH_SECONDS = 10  # how long a reader that delivered everything may take to end on its own


def validated_batches(
    source: Any,
    since: dt.datetime | None,
    now: dt.datetime,
    full: bool,
    checks: RowChecks,
    store_url: str | None = None,
    shared: bool = False,
) -> Iterator[ValidatedBatch]:
    """The batches of ``source.batches(since, now=now, full=full)``, validated by a reader
    process; ``source.last_read`` is the reader's final state once they are all delivered.
    ``store_url``: a store holding applications, which the reader reads (its committed state,
    on a connection of its own) to leave rows whose raw digest is stored unvalidated and send
    only their ids: a re-read of an unchanged platform is little more than the fetch. Never a
    store the poll's transaction locks (a first read into an empty one defers its indexes).
    ``shared``: this process validates one batch in :data:`SHARED_EVERY` itself (a store on a
    database server, whose writes leave it idle half the time; a SQLite store's writes do not)."""
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
            request = (source, since, now, full, checks, store_url, SHARED_EVERY if shared else 0)
            pickle.dump(request, reader.stdin, _PROTOCOL)
            reader.stdin.close()
        while True:
            kind, payload = _next(reader.stdout, reader)
            if kind == "batch":
                yield payload
            elif kind == "rows":  # a batch left for this process to validate (``shared``)
                rows, known = payload
                yield validate_batch(rows, checks, known)
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
    shared_every: int = 0,
) -> None:
    """The reader process: fetch, validate, send; then the read's state, or its error. The pipe
    and the sender (:class:`_Sender`) hold what the poll has not taken yet: when both are full
    the reader waits (bounded memory). ``shared_every``: every this many batches, one is sent
    unvalidated, with what the store holds of it, for the poll's process to validate."""
    sender = _Sender(channel)
    try:
        try:
            with fewer_collections(), _stored_contents(store_url) as stored:
                batches = source.batches(since, now=now, full=full)
                # closed (its lookup thread done) before the store's connection is
                with contextlib.closing(_looked_up(batches, stored, _is_server(store_url))) as read:
                    for i, (rows, known) in enumerate(read):
                        if shared_every and i % shared_every == shared_every - 1:
                            sender.send(("rows", (rows, known)))  # the poll validates this one
                            continue
                        sender.send(("batch", validate_batch(rows, checks, known)))
            sender.send(("done", source.last_read))
        except BrokenPipeError:
            raise
        except BaseException as exc:  # noqa: BLE001 — every failure goes back to the poll
            sender.send(("error", _portable(exc)))
        sender.close()
    except BrokenPipeError:  # the poll has ended (it failed, or was stopped): nobody listens
        with contextlib.suppress(BrokenPipeError):
            sender.close()
    finally:
        dispose = getattr(source, "dispose", None)
        if dispose is not None:
            dispose()


class _Sender:
    """The reader's messages, pickled on its main thread and written to the pipe by a thread of
    their own, at most :data:`AHEAD` behind: the reader goes on with the next batch while the poll
    is busy with the last (a pipe holds 64 KiB, a batch a megabyte or two), and memory stays
    bounded. A write that fails (the poll has gone) is raised by the next call."""

    def __init__(self, channel: BinaryIO) -> None:
        self.channel = channel
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._write, name="slamon-send", daemon=True)
        self.thread.start()

    def _write(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.error is None:  # after a failure: drained, so that no put waits forever
                try:
                    self.channel.write(data)
                except BaseException as exc:  # noqa: BLE001 — raised on the reader's thread
                    self.error = exc

    def send(self, message: tuple[str, Any]) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(pickle.dumps(message, _PROTOCOL))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error
        self.channel.flush()


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
    source, since, now, full, checks, store_url, shared_every = pickle.load(sys.stdin.buffer)
    _read(source, since, now, full, checks, channel, store_url, shared_every)
    with contextlib.suppress(BrokenPipeError):
        channel.close()


if __name__ == "__main__":
    main()
