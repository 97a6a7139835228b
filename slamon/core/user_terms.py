"""A rejected row's message in the user's own terms: fields named as the file's headers name them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slamon.core.records import RowError, canonical_field
from slamon.core.vocabulary import FIELD_NAMES

_FIELD_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def in_user_terms(err: RowError, raw: Mapping[str, Any]) -> RowError:
    """``err`` naming fields as the row's own headers do: the header of a file's column, or the
    Chinese field name where the row has no such column or names it by the code (SQL aliases)."""
    headers: dict[str, str] = {}
    for key in raw:
        name = canonical_field(key)
        if name is not None and name not in headers:
            headers[name] = FIELD_NAMES.get(name, name) if key == name else str(key).strip()

    def label(code: str) -> str:
        return headers.get(code) or FIELD_NAMES.get(code, code)

    message = _FIELD_CODE.sub(lambda m: label(m[0]) if m[0] in FIELD_NAMES else m[0], err.message)
    return RowError(err.row, err.field, message, label(err.field))
