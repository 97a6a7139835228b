"""Logging for the daemon and CLI: human-readable by default, JSON lines on request.

Log lines go to stderr only in the daemon (``slamon run``) or with ``--verbose``; every line is
stamped with its UTC offset, in the configured zone (the machine's zone before the configuration
is read). Secrets are masked everywhere: any ``scheme://user:password@host`` has its password
replaced by ``***`` before a record is formatted, whatever logger produced it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from slamon.core.secrets import mask_secrets


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_secrets(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(mask_secrets(a) if isinstance(a, str) else a for a in args)
        return True


def stamp(created: float, tz: dt.tzinfo | None) -> str:
    """ISO 8601 with the UTC offset: 2026-11-23T09:30:00.123+08:00."""
    moment = dt.datetime.fromtimestamp(created, tz) if tz else dt.datetime.fromtimestamp(created)
    return moment.astimezone(tz).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    def __init__(self, tz: dt.tzinfo | None = None) -> None:
        super().__init__()
        self.tz = tz

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": stamp(record.created, self.tz),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = mask_secrets(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class _MaskingTextFormatter(logging.Formatter):
    def __init__(self, tz: dt.tzinfo | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return stamp(record.created, self.tz)

    def formatException(self, ei) -> str:  # noqa: ANN001, N802
        return mask_secrets(super().formatException(ei))


_SCOPED: list[logging.Handler] = []


def setup_logging(
    fmt: str = "text",
    level: int = logging.INFO,
    tz: dt.tzinfo | None = None,
    *,
    scoped: bool = False,
) -> None:
    """Log to stderr. The daemon replaces the root handlers for the life of the process;
    ``scoped`` (``--verbose``) adds one that :func:`remove_scoped_handlers` takes away again."""
    handler = logging.StreamHandler()
    handler.addFilter(MaskingFilter())
    handler.setFormatter(JsonFormatter(tz) if fmt == "json" else _MaskingTextFormatter(tz))
    root = logging.getLogger()
    if scoped:
        root.addHandler(handler)
        _SCOPED.append(handler)
    else:
        root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def remove_scoped_handlers() -> None:
    root = logging.getLogger()
    while _SCOPED:
        root.removeHandler(_SCOPED.pop())
