"""Store migrations (Alembic): a store of the previous release upgrades to head with its rows
intact, on SQLite, PostgreSQL and MariaDB; the migrated schema is the models' schema; a new store
is the same whether made by the models or by the revisions; the start check refuses an older or
a newer store with its Chinese line; ``slamon store upgrade`` is idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from oldstores import ROWS, make_old_store, meta_value, old_rows
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel
from storehelpers import REPO_ROOT

from slamon.adapters.store import schema
from slamon.adapters.store.db import make_engine, open_store
from slamon.adapters.store.models import SCHEMA_VERSION
from slamon.core.errors import StoreSchemaError
from slamon.service.store_upgrade import plan_store_upgrade, upgrade_store

HEAD = schema.head()


def schema_diff(url: str) -> list:
    """What Alembic's autogenerate finds between the store and the models (empty: the same)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def revision_of(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def at_revision(url: str, revision: str) -> None:
    """A store made by running the revisions up to ``revision``."""
    engine = make_engine(url)
    with engine.begin() as conn:
        schema.upgrade_to(conn, revision)
    engine.dispose()


def test_the_revisions_form_one_line_ending_at_head():
    revisions = [s.revision for s in schema.scripts().walk_revisions()]
    assert revisions[-1] == schema.BASE == "0001"
    assert revisions[0] == HEAD
    assert len(schema.scripts().get_heads()) == 1


@pytest.mark.parametrize("older", [False, True], ids=["0.1.0", "before-0.1.0"])
def test_a_store_of_the_previous_release_upgrades_with_its_rows(store_url, older):
    make_old_store(store_url, older=older)
    before = old_rows(store_url)
    assert sum(map(len, before.values())) >= 5
    with pytest.raises(StoreSchemaError) as refused:
        open_store(store_url)
    assert (refused.value.found, refused.value.needed, refused.value.newer) == (None, HEAD, False)

    done = upgrade_store(store_url)
    assert done.applied and done.plan.adopt_as == "0001"
    assert bool(done.plan.adopt) is older  # 0.1.0's own tables match revision 0001 as they are
    assert [s.revision for s in done.plan.revisions][-1] == HEAD
    after = old_rows(store_url)
    assert {
        t: [{k: r[k] for k in rows[0]} for r in after[t]] for t, rows in before.items()
    } == before
    assert set(after) == set(ROWS) - {"slamon_meta"}  # what an older store lacked: there, empty
    if older:  # added columns are empty until the next read fills them
        assert after["sla_state"][0]["started_at"] is None and after["exemption"] == []
    assert all(r["raw_digest"] is None for r in after["application"])  # added by 0002
    assert schema_diff(store_url) == []
    assert (revision_of(store_url), meta_value(store_url)) == (HEAD, str(SCHEMA_VERSION))
    open_store(store_url).dispose()  # and it opens


def test_a_store_at_an_older_revision_upgrades_to_head(store_url):
    at_revision(store_url, "0001")
    assert schema_diff(store_url) != []  # the comparison sees what the later revisions add
    with pytest.raises(StoreSchemaError) as refused:
        open_store(store_url)
    assert (refused.value.found, refused.value.needed) == ("0001", HEAD)
    found = plan_store_upgrade(store_url)
    assert found.plan.adopt_as is None and found.plan.adopt == []
    assert [s.revision for s in found.plan.revisions] == [
        s.revision
        for s in reversed(list(schema.scripts().walk_revisions()))
        if s.revision != "0001"
    ]
    assert all(s.title for s in found.plan.revisions)
    upgrade_store(store_url)
    assert schema_diff(store_url) == []
    assert revision_of(store_url) == HEAD


def test_a_new_store_is_the_models_schema_at_head(store_url):
    """The fast path (the models' create_all, stamped head) on every kind of store."""
    open_store(store_url).dispose()
    assert schema_diff(store_url) == []
    assert (revision_of(store_url), meta_value(store_url)) == (HEAD, str(SCHEMA_VERSION))


def test_running_every_revision_makes_the_same_schema(store_url):
    at_revision(store_url, "head")
    assert schema_diff(store_url) == []
    assert (revision_of(store_url), meta_value(store_url)) == (HEAD, str(SCHEMA_VERSION))
    open_store(store_url).dispose()


def _reflected(url: str) -> dict[str, object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            i = inspect(conn)
            return {
                t: (
                    [(c["name"], str(c["type"]), c["nullable"]) for c in i.get_columns(t)],
                    i.get_pk_constraint(t)["constrained_columns"],
                    sorted((x["name"], x["column_names"], x["unique"]) for x in i.get_indexes(t)),
                    sorted(tuple(u["column_names"]) for u in i.get_unique_constraints(t)),
                )
                for t in sorted(i.get_table_names())
            }
    finally:
        engine.dispose()


def test_both_ways_of_making_a_new_sqlite_store_agree_column_by_column(tmp_path):
    fast, migrated = (f"sqlite:///{tmp_path / n}" for n in ("fast.db", "migrated.db"))
    open_store(fast).dispose()
    at_revision(migrated, "head")
    assert _reflected(fast) == _reflected(migrated)


def _set_revision(url: str, revision: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


@pytest.fixture
def cli_store(tmp_path, write_config):
    """A config whose store is a SQLite file in tmp_path: (config, store url)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    config = write_config(
        {
            "store": {"url": url},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
        }
    )
    return config, url


@pytest.mark.parametrize("argv", [["status"], ["poll"], ["outbox"]])
def test_the_start_check_refuses_an_older_store(cli_store, run_cli, argv):
    config, url = cli_store
    at_revision(url, "0001")
    r = run_cli(argv, config=config)
    assert r.exit_code == 1
    assert r.stderr.strip() == (
        f"错误：存储库结构版本为 0001，程序需要 {HEAD}：请先运行 slamon store upgrade"
    )
    assert revision_of(url) == "0001"  # refused, not changed


def test_the_start_check_refuses_a_store_made_before_migrations(cli_store, run_cli):
    config, url = cli_store
    make_old_store(url)
    r = run_cli(["status"], config=config)
    assert r.exit_code == 1
    assert r.stderr.strip() == (
        "错误：存储库结构版本为 迁移前（slamon 0.1.0 及更早），"
        f"程序需要 {HEAD}：请先运行 slamon store upgrade"
    )


@pytest.mark.parametrize("argv", [["status"], ["store", "upgrade"], ["check-config"]])
def test_the_start_check_refuses_a_newer_store(cli_store, run_cli, argv):
    config, url = cli_store
    open_store(url).dispose()
    _set_revision(url, "9f3c0a17e2b4")
    r = run_cli(argv, config=config)
    assert r.exit_code == 1
    assert "存储库由更新版本的 slamon 创建（9f3c0a17e2b4），请升级程序" in r.stderr + r.stdout


def test_store_upgrade_dry_run_changes_nothing(cli_store, run_cli, tmp_path):
    config, url = cli_store
    make_old_store(url, older=True)
    before = old_rows(url)
    r = run_cli(["store", "upgrade", "--dry-run"], config=config)
    assert r.exit_code == 0, r.stderr
    assert f"当前结构版本 迁移前（slamon 0.1.0 及更早），程序需要 {HEAD}" in r.stdout
    assert "添加列 sla_state started_at、start_event、extended_by、flags" in r.stdout
    assert "新建表 web_session" in r.stdout
    assert "记为结构版本 0001" in r.stdout and "试运行：未做任何修改" in r.stdout
    assert old_rows(url) == before and revision_of(url) is None
    assert list(tmp_path.glob("store.db.bak-*")) == []


def test_store_upgrade_twice_is_a_no_op_and_backs_a_sqlite_store_up(cli_store, run_cli, tmp_path):
    config, url = cli_store
    make_old_store(url)
    before = old_rows(url)
    first = run_cli(["store", "upgrade"], config=config)
    assert first.exit_code == 0, first.stderr
    assert f"已升级到结构版本 {HEAD}。" in first.stdout
    (backup,) = tmp_path.glob("store.db.bak-*")
    assert backup.name == "store.db.bak-unversioned" and f"已备份到 {backup}" in first.stdout
    assert old_rows(f"sqlite:///{backup}") == before and revision_of(f"sqlite:///{backup}") is None
    after = old_rows(url)

    second = run_cli(["store", "upgrade"], config=config)
    assert second.exit_code == 0, second.stderr
    assert second.stdout.strip().splitlines()[-1] == "结构已是最新，无需升级。"
    assert old_rows(url) == after and revision_of(url) == HEAD
    assert list(tmp_path.glob("store.db.bak-*")) == [backup]  # nothing to do, nothing copied
    assert run_cli(["status"], config=config).exit_code == 0


def test_store_upgrade_of_a_missing_store_creates_it(cli_store, run_cli, tmp_path):
    config, url = cli_store
    r = run_cli(["store", "upgrade"], config=config)
    assert r.exit_code == 0, r.stderr
    assert "当前结构版本 无（空库）" in r.stdout and "将新建全部数据表" in r.stdout
    assert revision_of(url) == HEAD and schema_diff(url) == []
    assert list(Path(tmp_path).glob("store.db.bak-*")) == []


def test_check_config_says_an_older_store_needs_the_upgrade(cli_store, run_cli):
    config, url = cli_store
    at_revision(url, "0001")
    r = run_cli(["check-config"], config=config)
    assert f"存储库结构版本为 0001，程序需要 {HEAD}：请先运行 slamon store upgrade" in r.stdout
