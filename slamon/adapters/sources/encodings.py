"""Which encoding a CSV export is in: detected, or refused — never stored garbled.

A byte-order mark decides (UTF-8, UTF-16). Otherwise strict UTF-8 is tried first (a GB or Big5
file of Chinese text is practically never valid UTF-8). GB18030 decodes almost any bytes, so a
Big5 file would "succeed" as GB18030 and come out as nonsense; both Chinese encodings are
therefore scored on a sample: the share of its non-ASCII characters that are common characters
or punctuation of that encoding (GB2312 level 1 and symbols for GB18030; Big5's frequent
characters and symbols for Big5). Text read in the wrong one scores low (a Big5 file read as
GB18030 turns into kana, Greek letters and rare characters). The better score must be clearly
high and clearly ahead, or the file is refused with a request to save it as UTF-8.
"""

from __future__ import annotations

import codecs
from collections import Counter

from slamon.core.errors import SourceError

SAMPLE_BYTES = 256 * 1024
MIN_SCORE = 0.85
MIN_LEAD = 0.15
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _common_gb(ch: str) -> bool:
    """GB2312 symbols/punctuation (rows 1-9) or level-1 hanzi (rows 16-55)."""
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and (0xA1 <= b[0] <= 0xA9 or 0xB0 <= b[0] <= 0xD7)


def _common_big5(ch: str) -> bool:
    """Big5 symbols (A1-A3) or frequently used characters (常用字, A440-C67E)."""
    try:
        b = ch.encode("cp950")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and (0xA1 <= b[0] <= 0xA3 or 0xA4 <= b[0] <= 0xC6)


def _score(text: str, common: object) -> float:
    counts = Counter(ch for ch in text if ord(ch) > 0x7F)
    total = sum(counts.values())
    if not total:
        return 1.0
    hits = sum(n for ch, n in counts.items() if common(ch))  # type: ignore[operator]
    return hits / total


def detect_chinese(data: bytes) -> tuple[str | None, dict[str, float]]:
    """The encoding (``gb18030`` or ``cp950``) the bytes are in, or None; and the scores."""
    sample = data[:SAMPLE_BYTES]
    scores: dict[str, float] = {}
    for encoding, common in (("gb18030", _common_gb), ("cp950", _common_big5)):
        try:
            full = len(data) <= SAMPLE_BYTES
            text = sample.decode(encoding, errors="strict" if full else "ignore")
        except UnicodeDecodeError:
            continue
        scores[encoding] = _score(text, common)
    if not scores:
        return None, scores
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if score >= MIN_SCORE and score - runner_up >= MIN_LEAD:
        return best, scores
    return None, scores


def decode_csv(data: bytes, name: str) -> str:
    """The text of a CSV file, or SourceError naming the file when its encoding is uncertain."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                text = ""
            if "," in text or "\t" in text:  # a table, not bytes that happen to decode
                return text
            raise SourceError(
                f"文件 {name} 以 {encoding.upper()} 编码标记开头，但内容无法按此编码读成表格"
            )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    encoding, scores = detect_chinese(data)
    if encoding is not None:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    tried = "、".join(
        f"{'GB18030' if e == 'gb18030' else 'Big5'} {s:.0%}" for e, s in scores.items()
    )
    raise SourceError(
        f"文件 {name} 的编码无法可靠识别（常用字比例：{tried or '均无法解码'}），"
        "为免乱码未导入：请另存为 UTF-8 编码的 CSV"
    )
