"""Real database servers for tests: ``pg_url`` (PostgreSQL), ``mysql_url`` (MariaDB/MySQL), and
``store_url``: an empty store on each of SQLite, PostgreSQL and MariaDB.

Listed in conftest's ``pytest_plugins``. Each fixture probes its server with a 2-second connect
timeout; when it is unreachable the test is skipped with the reason, except under CI
(``CI=true``), where a missing server is a failure. ``SLAMON_TEST_PG_URL`` and
``SLAMON_TEST_MYSQL_URL`` override the default addresses. Tests create uniquely named tables
(:func:`unique_name`) and drop them afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"


def unique_name(prefix: str = "t_share_apply") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def _unavailable(what: str, url: str, reason: str) -> None:
    from slamon.core.secrets import mask_url

    message = f"{what} 不可用：{mask_url(url)}（{reason}）"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _probe(what: str, url: str, env_name: str) -> str:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url, connect_args={"connect_timeout": 2})
    except ImportError as exc:
        _unavailable(what, url, f"缺少驱动 {exc.name}")
        raise AssertionError("unreachable") from exc
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means the server cannot be used
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else ""
        _unavailable(what, url, f"{exc.__class__.__name__}: {first}；地址可用 {env_name} 指定")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("SLAMON_TEST_PG_URL") or DEFAULT_PG_URL
    return _probe("PostgreSQL", url, "SLAMON_TEST_PG_URL")


@pytest.fixture(scope="session")
def mysql_url() -> str:
    url = os.environ.get("SLAMON_TEST_MYSQL_URL") or DEFAULT_MYSQL_URL
    return _probe("MariaDB/MySQL", url, "SLAMON_TEST_MYSQL_URL")


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty store of each kind slamon runs on: a SQLite file, and a new database on the
    PostgreSQL and MariaDB servers (dropped afterwards)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from storehelpers import fresh_pg_database

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    if request.param == "mariadb":
        server = request.getfixturevalue("mysql_url")
        name = unique_name("slamon_store")
        admin = create_engine(server)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
        try:
            yield make_url(server).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            admin.dispose()
        return
    with fresh_pg_database(request.getfixturevalue("pg_url")) as url:
        yield url
