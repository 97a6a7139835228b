"""Department names: the one place aliases turn a name in the data into its canonical name."""

from __future__ import annotations

from collections.abc import Mapping


def canonical(name: str, aliases: Mapping[str, str]) -> str:
    """The canonical name of a department (or region): stripped, then through the aliases."""
    name = name.strip()
    return aliases.get(name, name)
