"""Invisible characters in names and ids, removed where the data enters (records validation)."""

from __future__ import annotations

# Invisible characters a copy-paste leaves in names and ids: format characters (zero-width
# space and joiners, direction marks, word joiner, BOM, soft hyphen) and every space but the
# ASCII one (NBSP, ideographic space, the typographic spaces). Removed, so 省公安厅 and
# 省公安厅 + U+200B are one department and NC001 + U+FEFF is NC001.
_INVISIBLE = dict.fromkeys(
    [0xAD, 0x180E, 0xFEFF, 0xA0, 0x1680, 0x202F, 0x205F, 0x3000]
    + [*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065)]
    + [*range(0x2066, 0x206A), *range(0x2000, 0x200B)]
)


def visible(text: str) -> str:
    """``text`` without invisible characters (only text that has some is copied)."""
    return text if text.isprintable() else text.translate(_INVISIBLE).strip()
