"""Department names: aliases turn a name in the data into its canonical name; names that are
not known but close to a known one (a typo, a stray space, full-width characters) are found
with the name they were probably meant to be."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping


def canonical(name: str, aliases: Mapping[str, str]) -> str:
    """The canonical name of a department (or region): stripped, then through the aliases."""
    name = name.strip()
    return aliases.get(name, name)


def normalized(name: str) -> str:
    """The name with full-width forms folded (NFKC) and every kind of space removed: two names
    that differ only in these are the same name written carelessly."""
    folded = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch) != "Cf")


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or ``limit + 1`` as soon as it is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def _limit(name: str) -> int:
    """How many edits still make a near miss. Short names differ from other real departments by
    one character (省民政厅, 省财政厅), so only width and spaces count for them."""
    if len(name) < 5:
        return 0
    return 1 if len(name) < 10 else 2


def suggestion(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` is probably meant to be (same after folding widths and spaces,
    or within a small edit distance); None when none is close or two are equally close."""
    key = normalized(name)
    best: list[tuple[int, str]] = []
    for k in known:
        nk = normalized(k)
        if nk == key:
            return k
        d = edit_distance(key, nk, _limit(nk))
        if d <= _limit(nk):
            best.append((d, k))
    if not best:
        return None
    best.sort()
    if len(best) > 1 and best[0][0] == best[1][0]:
        return None
    return best[0][1]


def near_misses(
    names: Iterable[str], known: Iterable[str], aliases: Mapping[str, str]
) -> dict[str, str]:
    """Names in the data that are neither known nor aliases but close to a known name → the
    known name. Unknown names close to none are not guessed at."""
    known_set = set(known) | set(aliases) | set(aliases.values())
    out: dict[str, str] = {}
    for n in names:
        c = canonical(n, aliases)
        if c in known_set or n in known_set:
            continue
        hint = suggestion(c, known_set)
        if hint is not None:
            out[n] = hint
    return out


def matching(query: str, names: Iterable[str], aliases: Mapping[str, str]) -> list[str]:
    """The names ``query`` means: the exact canonical name when there is one, else every name
    containing it (after folding widths and spaces)."""
    names = list(names)
    c = canonical(query, aliases)
    if c in names:
        return [c]
    key = normalized(c)
    return sorted(n for n in names if key and key in normalized(canonical(n, aliases)))
