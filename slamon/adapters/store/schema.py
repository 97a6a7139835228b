"""The store's schema revision (Alembic, ``migrations/``): read it, check it at open, create a
new store at head, and upgrade an older one — adopting a store made before migrations existed.

A store made before migrations (slamon 0.1.0 and earlier) has slamon's tables but no
``alembic_version``. Adopting it does what those releases did by hand at every open — create a
missing table, add a missing (nullable) column, create a missing index, widen MySQL/MariaDB
``DATETIME`` to ``DATETIME(6)`` — until it matches revision 0001, stamps 0001, and upgrades on.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, inspect, select, text
from sqlmodel import SQLModel

from slamon.adapters.store.models import SCHEMA_VERSION, Meta
from slamon.core.errors import StoreError, StoreSchemaError

log = logging.getLogger("slamon.store")

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
BASE = "0001"  # the revision a store made before migrations is adopted as


@dataclass(frozen=True)
class SchemaState:
    """What a store holds. ``current`` is its revision (None: no ``alembic_version``);
    ``empty``: none of slamon's tables; ``legacy_version``: slamon_meta's number, when read."""

    current: str | None
    head: str
    empty: bool
    known: bool
    legacy_version: int | None = None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def newer(self) -> bool:
        if self.current is None:
            return (self.legacy_version or 0) > SCHEMA_VERSION
        return not self.known


@dataclass(frozen=True)
class AdoptStep:
    """One change adopting a pre-migration store: ``action`` create_table / add_column /
    create_index / widen_datetime, on ``table``, naming the columns or index in ``names``."""

    action: str
    table: str
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class RevisionStep:
    revision: str
    title: str  # the revision's TITLE (Chinese), shown by ``slamon store upgrade``


@dataclass
class UpgradePlan:
    state: SchemaState
    adopt: list[AdoptStep] = field(default_factory=list)
    revisions: list[RevisionStep] = field(default_factory=list)
    adopt_as: str | None = None  # the revision a store made before migrations is stamped with

    @property
    def needed(self) -> bool:
        return not self.state.up_to_date


def _config() -> Config:
    """A new Config each time: its ``attributes`` carry one caller's connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@functools.cache
def scripts() -> ScriptDirectory:
    """The revisions, loaded once per process."""
    return ScriptDirectory.from_config(_config())


def head() -> str:
    (rev,) = scripts().get_heads()
    return rev


def read_state(conn: Connection) -> SchemaState:
    tables = set(inspect(conn).get_table_names())
    ours = {t.name for t in SQLModel.metadata.sorted_tables}
    current = MigrationContext.configure(conn).get_current_revision()
    known = current is not None and current in {s.revision for s in scripts().walk_revisions()}
    legacy = None
    if current is None and Meta.__tablename__ in tables:
        value = conn.execute(
            select(Meta.value).where(Meta.key == "schema_version")
        ).scalar_one_or_none()
        legacy = int(value) if value is not None and value.isdigit() else None
    return SchemaState(
        current, head(), empty=not (tables & ours), known=known, legacy_version=legacy
    )


def check(state: SchemaState) -> None:
    """Refuse a store whose schema is not this code's (the message names both revisions)."""
    if state.up_to_date:
        return
    if state.newer:
        found = state.current or f"结构版本 {state.legacy_version}"
        raise StoreSchemaError(found, state.head, newer=True)
    raise StoreSchemaError(state.current, state.head, newer=False)


def create_at_head(conn: Connection) -> None:
    """A new store: the models' tables and the version rows, as if every revision had run
    (tests/test_store_migrations.py checks the two give the same schema)."""
    SQLModel.metadata.create_all(conn)
    conn.execute(Meta.__table__.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
    stamp(conn, head())
    log.info("store.created revision=%s", head())


def plan_upgrade(conn: Connection) -> UpgradePlan:
    """What ``upgrade`` would do, changing nothing."""
    state = read_state(conn)
    plan = UpgradePlan(state)
    if state.up_to_date or state.empty or state.newer:
        return plan
    if state.current is None:
        plan.adopt, plan.adopt_as = adoption_steps(conn), BASE
    start = state.current or BASE
    for script in scripts().iterate_revisions(state.head, start):
        plan.revisions.append(RevisionStep(script.revision, _title(script.module)))
    plan.revisions.reverse()
    return plan


def upgrade(conn: Connection, plan: UpgradePlan) -> None:
    """Carry out ``plan`` (made on this connection): create, adopt, or run the revisions."""
    state = plan.state
    if state.newer:
        check(state)
    if state.empty:
        create_at_head(conn)
        return
    if state.current is None:
        for step in plan.adopt:
            _apply(conn, step)
        stamp(conn, BASE)
        log.info("store.adopted revision=%s changes=%d", BASE, len(plan.adopt))
    upgrade_to(conn, state.head)
    log.info("store.upgraded from=%s to=%s", state.current, state.head)


def upgrade_to(conn: Connection, revision: str) -> None:
    """Run the revisions from the store's own (none: an empty store) up to ``revision``."""
    _alembic(conn, "upgrade", revision)


def stamp(conn: Connection, revision: str) -> None:
    """Record ``revision`` as the store's, changing nothing else."""
    _alembic(conn, "stamp", revision)


def _alembic(conn: Connection, verb: str, revision: str) -> None:
    """An Alembic command on ``conn``, inside its transaction (migrations/env.py takes it)."""
    cfg = _config()
    cfg.attributes["connection"] = conn
    getattr(command, verb)(cfg, revision)


def _title(module: ModuleType) -> str:
    return getattr(module, "TITLE", "") or (module.__doc__ or "").strip().splitlines()[0]


def _base_metadata() -> MetaData:
    return scripts().get_revision(BASE).module.metadata()


def adoption_steps(conn: Connection) -> list[AdoptStep]:
    """What a store made before migrations lacks against revision 0001."""
    inspector = inspect(conn)
    have = set(inspector.get_table_names())
    steps: list[AdoptStep] = []
    for table in _base_metadata().sorted_tables:
        if table.name not in have:
            steps.append(AdoptStep("create_table", table.name))
            continue
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        missing = tuple(c.name for c in table.columns if c.name not in columns)
        if missing:
            steps.append(AdoptStep("add_column", table.name, missing))
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            if index.name not in indexes and not set(index.columns.keys()) <= set(missing):
                steps.append(AdoptStep("create_index", table.name, (str(index.name),)))
    if conn.dialect.name in ("mysql", "mariadb"):
        steps.extend(_narrow_datetimes(conn))
    return steps


def _narrow_datetimes(conn: Connection) -> list[AdoptStep]:
    """MySQL/MariaDB ``DATETIME`` columns of whole seconds (made before microseconds were kept)."""
    found = conn.execute(
        text(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND DATA_TYPE = 'datetime' "
            "AND DATETIME_PRECISION = 0 ORDER BY TABLE_NAME, ORDINAL_POSITION"
        )
    ).all()
    tables = {t.name: t for t in _base_metadata().sorted_tables}
    narrow: dict[str, list[str]] = {}
    for table, column in found:
        if table in tables and column in tables[table].columns:
            narrow.setdefault(table, []).append(column)
    return [AdoptStep("widen_datetime", t, tuple(cols)) for t, cols in narrow.items()]


def _apply(conn: Connection, step: AdoptStep) -> None:
    table = _base_metadata().tables[step.table]
    quote = conn.dialect.identifier_preparer.quote
    if step.action == "create_table":
        table.create(conn)
    elif step.action == "add_column":
        for name in step.names:
            column = table.columns[name]
            if not column.nullable:
                raise StoreError(f"存储库表 {table.name} 缺少必填列 {name}，无法自动升级")
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(
                text(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(name)} {kind} NULL")
            )
        for index in table.indexes:  # an index on added columns comes with them
            if set(index.columns.keys()) <= set(step.names):
                index.create(conn)
    elif step.action == "create_index":
        (index,) = (i for i in table.indexes if i.name == step.names[0])
        index.create(conn)
    elif step.action == "widen_datetime":
        changes = ", ".join(
            f"MODIFY {quote(c)} DATETIME(6) {'NULL' if table.columns[c].nullable else 'NOT NULL'}"
            for c in step.names
        )
        conn.execute(text(f"ALTER TABLE {quote(table.name)} {changes}"))
    log.info("store.adopt action=%s table=%s names=%s", step.action, step.table, step.names)
