"""No secret anywhere: a source URL with a password in its query string, and one whose user-info
password holds an unencoded ``@`` and ``/``, leave no trace of either password in the output of
``check-config``, ``poll`` and ``status`` (stdout and stderr, log lines included), in any table
of the store, or in the mail sent to the operators."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbservers import unique_name
from sqlalchemy import MetaData, create_engine, select, text
from storehelpers import REPO_ROOT, at

from slamon.config import load_settings
from slamon.logs import remove_scoped_handlers, setup_logging
from slamon.runtime import Runtime
from slamon.service.delivery import deliver_due
from slamon.service.jobs import poll_job

QUERY_SECRET = "QsPw7781zz"
USERINFO_SECRET = "Us@r/Pw9912yy"
FRAGMENTS = ("QsPw7781", "Pw9912", "Us@r")


def _leaks(text_: str) -> list[str]:
    return [f for f in FRAGMENTS if f in text_]


def _store_dump(url: str) -> str:
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    out = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            out.extend(f"{table.name} {tuple(r)}" for r in conn.execute(select(table)))
    engine.dispose()
    return "\n".join(out)


COMMANDS = (
    ["check-config"],
    ["--verbose", "poll", "--now", "2026-11-20T10:00"],
    ["--verbose", "poll", "--now", "2026-11-20T10:05", "--json"],
    ["status", "--now", "2026-11-20T10:10"],
    ["status", "--now", "2026-11-20T10:10", "--json"],
    ["outbox", "--all"],
)


@pytest.fixture
def platform_table(pg_url: str) -> Iterator[str]:
    """A platform table on PostgreSQL with one application (S1); dropped afterwards."""
    table = unique_name()
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE {table} (application_id text, applicant_dept text, "
                "provider_dept text, resource_name text, share_type text, submitted_at text)"
            )
        )
        conn.execute(
            text(
                f"INSERT INTO {table} VALUES ('S1', '省税务局', '省公安厅', '户籍信息', "
                "'无条件共享', '2026-11-02 09:00')"
            )
        )
    try:
        yield table
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        admin.dispose()


def _source_urls(pg_url: str) -> dict[str, str]:
    """good: the test server, the password in the query string; bad: a closed port, with a
    user-info password holding an unencoded ``@`` and ``/`` as well."""
    base = pg_url.split("://", 1)[1].split("@", 1)[1].split("?", 1)[0]  # host:port/db
    return {
        "good": f"postgresql+psycopg://postgres@{base}?password={QUERY_SECRET}",
        "bad": f"postgresql+psycopg://reader:{USERINFO_SECRET}@127.0.0.1:1/test"
        f"?password={QUERY_SECRET}",
    }


def _cli_outputs(
    run_cli: Any, write_config: Any, folder: Path, common: dict[str, Any], urls: dict[str, str]
) -> list[str]:
    """Every command of COMMANDS with each source URL (a config folder each): exit code, stdout
    and stderr."""
    outputs: list[str] = []
    for name, url in urls.items():
        source = {"kind": "sql", "url": url, "query": common["source"]["query"], "stale_minutes": 1}
        cfg = write_config({**common, "source": source}, folder=folder / name)
        for argv in COMMANDS:
            res = run_cli(argv, config=cfg)
            outputs.append(f"{name} {argv}: {res.exit_code}\n{res.stdout}\n{res.stderr}")
    return outputs


def _daemon_log(config: Path, capsys: Any) -> str:
    """The daemon's jobs on the failing source, past stale_minutes (so the operators are
    mailed), logged at DEBUG."""
    rt = Runtime(load_settings(config, env={}))
    setup_logging(level=logging.DEBUG, scoped=True)
    try:
        for minutes in (0, 2, 4):
            poll_job(rt.engine, rt, at("2026-11-20 10:20") + dt.timedelta(minutes=minutes), "d")
        deliver_due(rt.engine, rt, at("2026-11-20 10:30"), "d")
    finally:
        remove_scoped_handlers()
    return capsys.readouterr().err


def test_no_password_in_any_output_log_table_or_mail(
    pg_url: str,
    platform_table: str,
    tmp_path: Path,
    write_config: Any,
    run_cli: Any,
    smtp_server: Any,
    capsys: Any,
) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    common = {
        "store": {"url": store},
        "rules": {"dir": str(REPO_ROOT / "rules")},
        "smtp": smtp_server.smtp_config(),
        "supervisors": ["dudao@dsj.example.gov.cn"],
        "operators": ["yunwei@dsj.example.gov.cn"],
        "source": {"query": f"SELECT * FROM {platform_table}"},  # the URL: one per config
    }
    outputs = _cli_outputs(run_cli, write_config, tmp_path, common, _source_urls(pg_url))
    assert "S1" in outputs[3] or "S1" in outputs[4]  # the good source was read
    assert any("127.0.0.1:1" in o for o in outputs)  # the bad one failed, naming the place
    logged = _daemon_log(tmp_path / "bad" / "config.yaml", capsys)
    assert "poll" in logged
    assert any("yunwei@dsj.example.gov.cn" in m.rcpt_tos for m in smtp_server.messages)
    mails = [
        f"{m.subject}\n{m.part('plain')}\n{m.part('html')}\n{m.message}"
        for m in smtp_server.messages
    ]
    dump = _store_dump(store)
    assert "poll_run" in dump and "stale|" in dump
    for where, content in (
        ("output", "\n".join(outputs)),
        ("log", logged),
        ("store", dump),
        ("mail", "\n".join(mails)),
    ):
        assert _leaks(content) == [], (where, content[:3000])
