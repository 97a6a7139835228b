"""``check-config``'s look at the store: can it be reached, and with which schema — never created.

A SQLite store that does not exist yet is fine when its folder is writable (it is created on first
use); any other store is connected to with a short timeout and asked its schema revision
(older or newer than this code: not usable, with the line ``slamon store upgrade`` would fix).
"""

from __future__ import annotations

import os
from pathlib import Path

from slamon.adapters import driver_errors
from slamon.core.secrets import mask_url, scrub

TIMEOUT_SECONDS = 5


def probe_store(url: str) -> tuple[bool, str]:
    """(usable, what was found), in Chinese, with the URL's secrets masked.

    A SQLite file that does not exist yet is judged without loading the database library (a
    light command stays light)."""
    shown = mask_url(url)
    sqlite = url.startswith("sqlite")
    if sqlite:
        database = url.split(":///", 1)[-1].split("?", 1)[0] if ":///" in url else ""
        path = Path(database)
        if database and database != ":memory:" and not path.exists():
            folder = path.parent
            if folder.is_dir() and os.access(folder, os.W_OK):
                return True, f"{shown} 尚不存在，首次使用时创建"
            return False, f"{shown}：目录 {folder} 不存在或不可写"
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from slamon.adapters.store import schema
    from slamon.core.errors import StoreSchemaError

    args: dict[str, object] = (
        {"timeout": TIMEOUT_SECONDS} if sqlite else {"connect_timeout": TIMEOUT_SECONDS}
    )
    try:
        engine = create_engine(url, connect_args=args)
    except Exception as exc:  # noqa: BLE001 - a missing driver, a bad argument
        return False, f"无法使用存储库 {shown}（{scrub(str(exc), url)}）"
    try:
        with engine.connect() as conn:
            state = schema.read_state(conn)
    except SQLAlchemyError as exc:
        reason = driver_errors.reason(exc, lambda t: scrub(t, url))
        return False, f"无法连接存储库 {shown}：{reason}"
    finally:
        engine.dispose()
    if state.empty:
        return True, f"{shown} 可连接（尚未建表，首次使用时创建）"
    try:
        schema.check(state)
    except StoreSchemaError as exc:
        return False, f"存储库 {shown}：{exc}"
    return True, f"{shown} 可连接（结构版本 {state.current}）"
