"""Tables that fit the terminal: ids stand whole, text folds onto more lines (never cut to "…"),
and in a narrow terminal the low-value columns go first. Off a terminal (a file, a pipe) the
console is laid out wide enough for every table's natural width, so nothing is dropped there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from rich.table import Table

_PER_COLUMN = 3  # a column's left border and one space of padding on each side
_EDGE = 1  # the table's right border


@dataclass(frozen=True)
class Col:
    """One column: ``whole`` never folds (ids); ``drop`` > 0 may be left out of a narrow
    terminal, the lowest number first; ``floor`` is the width it folds to before a column is
    dropped, ``squeeze`` the least it may fold to when nothing is left to drop."""

    header: str
    whole: bool = False
    drop: int = 0
    floor: int = 12
    squeeze: int = 4
    justify: Literal["left", "right"] = "left"


@dataclass(frozen=True)
class Fitted:
    table: Table
    dropped: tuple[str, ...]  # the headers left out


def _need(widths: Sequence[int]) -> int:
    return sum(widths) + _PER_COLUMN * len(widths) + _EDGE


def _shrink(widths: list[int], least: Sequence[int], width: int) -> None:
    """Fold the widest columns first, down to ``least``, until the table fits ``width``."""
    while _need(widths) > width:
        room = [i for i, w in enumerate(widths) if w > least[i]]
        if not room:
            return
        widest = max(room, key=lambda i: widths[i])
        widths[widest] -= 1


def _grow(widths: list[int], natural: Sequence[int], width: int) -> None:
    """Give the spare width back, one cell a column in turn, up to each natural width."""
    spare = width - _need(widths)
    while spare > 0 and any(w < n for w, n in zip(widths, natural, strict=True)):
        for i, n in enumerate(natural):
            if spare > 0 and widths[i] < n:
                widths[i] += 1
                spare -= 1


def fit_table(
    title: str, cols: Sequence[Col], rows: Sequence[Sequence[str]], width: int, wide: bool = False
) -> Fitted:
    """The table laid out for ``width`` columns; ``wide`` keeps every column (folding them).

    A table that cannot fit even folded is laid out wider than ``width`` (print it with
    ``crop=False``): the terminal then wraps its lines, but no id is cut.
    """
    natural = [
        max([cell_len(c.header), *(cell_len(r[i]) for r in rows)]) for i, c in enumerate(cols)
    ]
    floor = [n if c.whole else min(n, c.floor) for n, c in zip(natural, cols, strict=True)]
    shown = list(range(len(cols)))
    if _need(natural) > width and not wide:
        for i in sorted((i for i, c in enumerate(cols) if c.drop), key=lambda i: cols[i].drop):
            if _need([floor[j] for j in shown]) <= width:
                break
            shown.remove(i)
    widths = [floor[i] for i in shown]
    _shrink(
        widths,
        [natural[i] if cols[i].whole else min(natural[i], cols[i].squeeze) for i in shown],
        width,
    )
    _grow(widths, [natural[i] for i in shown], width)
    need = _need(widths)
    table = Table(title=title, width=need if need > width else None)
    for i, w in zip(shown, widths, strict=True):
        c = cols[i]
        table.add_column(c.header, width=w, justify=c.justify, no_wrap=c.whole, overflow="fold")
    for r in rows:
        table.add_row(*(r[i] for i in shown))
    return Fitted(table, tuple(cols[i].header for i in range(len(cols)) if i not in shown))
