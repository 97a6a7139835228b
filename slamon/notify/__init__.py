"""Reminders, overdue alerts and escalations by email: planned into an outbox, sent through yagmail.

Modules:
- :mod:`~slamon.notify.policy`: the pure planning policy (working days, sending window);
- :mod:`~slamon.notify.recipients`: contacts, supervisors, operators (pure);
- :mod:`~slamon.notify.messages`: Jinja2 rendering (site-overridable templates), Message-IDs;
- :mod:`~slamon.notify.outbox`: the outbox table (idempotent insert, conditional-UPDATE claims);
- :mod:`~slamon.notify.mailer`: the yagmail adapter;
- :mod:`~slamon.notify.service` / :mod:`~slamon.notify.delivery`: plan, queue, deliver;
- :mod:`~slamon.notify.checks`: ``check_contacts`` for ``check-config``.

The service functions are also importable from here, lazily: importing the package itself pulls in
nothing heavy (no SQLAlchemy, no yagmail).
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "plan_notices": "slamon.notify.service",
    "queue_message": "slamon.notify.service",
    "notify_stale_source": "slamon.notify.service",
    "deliver_due": "slamon.notify.delivery",
    "DeliveryReport": "slamon.notify.delivery",
    "check_contacts": "slamon.notify.checks",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'slamon.notify' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
