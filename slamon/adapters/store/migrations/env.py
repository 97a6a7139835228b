"""Alembic's environment for slamon: always online, on the connection slamon.adapters.store.schema
hands over in ``config.attributes["connection"]`` (inside its transaction). No alembic.ini, no
URL, no logging setup: the caller owns all three."""

from __future__ import annotations

from alembic import context

context.configure(connection=context.config.attributes["connection"])
with context.begin_transaction():
    context.run_migrations()
