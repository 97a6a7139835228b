"""The pictures a queued mail shows inline (the digest's trend charts): drawn when the mail is
queued, kept in the store's meta table beside its outbox row (one row per picture, base64, so
each stays well under a MySQL TEXT), and attached by Content-ID when the mail is sent, so the
pictures are those of the numbers the mail's tables show."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slamon.adapters.mail.mailer import InlineImage
from slamon.adapters.render.digest import content_id
from slamon.adapters.render.trend_charts import Chart
from slamon.adapters.store import runs

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine


def _key(outbox_key: str, part: str) -> str:
    return f"inline|{outbox_key}|{part}"


def keep_images(engine: Engine, outbox_key: str, charts: Sequence[Chart], week: str) -> None:
    """Keep the pictures of the mail queued under ``outbox_key``."""
    index = [{"cid": content_id(c, week), "filename": c.filename} for c in charts]
    with engine.begin() as conn:
        for i, c in enumerate(charts):
            runs.set_meta(conn, _key(outbox_key, str(i)), base64.b64encode(c.png).decode("ascii"))
        runs.set_meta(conn, _key(outbox_key, "index"), json.dumps(index))


def images_of(conn: Connection, outbox_key: str) -> tuple[InlineImage, ...]:
    """The pictures kept for the mail queued under ``outbox_key`` (none for most mail)."""
    index = runs.get_meta(conn, _key(outbox_key, "index"))
    if index is None:
        return ()
    out = []
    entries: list[dict[str, Any]] = json.loads(index)
    for i, entry in enumerate(entries):
        data = runs.get_meta(conn, _key(outbox_key, str(i)))
        if data is not None:
            out.append(InlineImage(entry["cid"], entry["filename"], base64.b64decode(data)))
    return tuple(out)
