"""Names that are GBK bytes read as Latin-1 (``Ê¡¹«¹²…`` for 省公共…): a platform column declared
latin1 but holding GBK. Such a row is rejected naming the usual fix, never stored garbled."""

from __future__ import annotations

from slamon.core.records import ApplicationRecord, RowError

NAME_FIELDS = ("applicant_dept", "provider_dept", "resource_name")
_SINGLE_BYTE = ("latin-1", "cp1252")


def gbk_reading(text: str) -> str | None:
    """The text the characters spell when taken as GBK bytes, when ``text`` looks like that
    mojibake (only single-byte characters, at least two of them high, and valid GBK with Chinese
    in it); else None."""
    # The usual cases: plain ASCII, or real CJK (a first or last character beyond Latin-1
    # answers before max() reads the whole text).
    if text.isascii() or text[0] > "\xff" or text[-1] > "\xff" or max(text) > "\xff":
        return None
    if sum(1 for ch in text if ord(ch) >= 0x80) < 2:
        return None
    for codec in _SINGLE_BYTE:
        try:
            data = text.encode(codec)
            decoded = data.decode("gbk")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if any("\u4e00" <= ch <= "\u9fff" for ch in decoded):
            return decoded
    return None


def check_names(record: ApplicationRecord, row: int | str) -> None:
    """Raise RowError for the first name field that looks like GBK read as Latin-1."""
    for field in NAME_FIELDS:
        value = getattr(record, field, None)
        if not isinstance(value, str):
            continue
        reading = gbk_reading(value)
        if reading is not None:
            raise RowError(
                row,
                field,
                f"{value!r} 像是按 Latin-1 读出的 GBK 编码（应为 {reading!r}）；"
                f"请在查询中改用 CONVERT(CAST(列名 AS BINARY) USING gbk) 读取该列",
            )
