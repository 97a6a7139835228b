"""The service layer: one step, one function, one transaction. Composes the core and the adapters:
``poll`` (fetch → validate → store → evaluate → plan), ``notices`` and ``delivery`` (the outbox),
``reports``, ``status``, ``checks``, ``jobs`` (what the daemon runs). The CLI and the daemon call
only these."""
