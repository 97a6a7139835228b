"""``slamon store upgrade``: bring the store's schema to this code's revision — first what it
would do, then a copy of a SQLite store and the change in one transaction. Idempotent: a store
already at the code's revision is left alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from slamon.adapters.store import schema
from slamon.adapters.store.db import backup_sqlite, make_engine, reporting_errors
from slamon.adapters.store.schema import UpgradePlan
from slamon.core.secrets import mask_url

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass(frozen=True)
class StoreUpgrade:
    store: str  # the store's address, secrets masked
    plan: UpgradePlan  # what was found and what is (or was) to be done
    sqlite: bool  # a SQLite file: copied beside itself before it is changed
    backup: Path | None = None  # that copy, once made
    applied: bool = False


def plan_store_upgrade(url: str) -> StoreUpgrade:
    """What upgrading the store at ``url`` would do, changing nothing. A store made by a newer
    slamon raises StoreSchemaError."""
    return _with_engine(url, lambda engine: _plan(engine, mask_url(url)))


def upgrade_store(url: str) -> StoreUpgrade:
    """Bring the store at ``url`` to this code's revision: a SQLite store is first copied to
    ``<file>.bak-<revision>``, then the change runs in one transaction. Nothing is done (nor
    copied) when it is already there."""
    return _with_engine(url, lambda engine: _upgrade(engine, mask_url(url)))


def _with_engine(url: str, step: Callable[[Engine], StoreUpgrade]) -> StoreUpgrade:
    engine = make_engine(url)
    try:
        with reporting_errors(url):
            return step(engine)
    finally:
        engine.dispose()


def _plan(engine: Engine, store: str) -> StoreUpgrade:
    with engine.connect() as conn:
        plan = schema.plan_upgrade(conn)
    if plan.state.newer:
        schema.check(plan.state)
    return StoreUpgrade(store, plan, engine.dialect.name == "sqlite")


def _upgrade(engine: Engine, store: str) -> StoreUpgrade:
    found = _plan(engine, store)
    if not found.plan.needed:
        return found
    backup = None
    if not found.plan.state.empty:
        backup = backup_sqlite(engine, found.plan.state.current or "unversioned")
    with engine.begin() as conn:
        plan = schema.plan_upgrade(conn)  # as the store is now, inside the transaction
        schema.upgrade(conn, plan)
    return StoreUpgrade(store, plan, found.sqlite, backup, applied=True)
