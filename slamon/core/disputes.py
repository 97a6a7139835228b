"""情况说明 (disputes): a department's explanation of a verdict, and the centre's decision on it.

Pure rules: the statuses and channels with their Chinese names, which decision may follow
which, how long an explanation may be, and which attachments are accepted — by the file's
extension AND by its first bytes, so that an HTML page named ``.pdf`` is refused.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from slamon.core.errors import InputError

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
STATUSES = (PENDING, ACCEPTED, REJECTED)
STATUS_NAMES = {PENDING: "待核实", ACCEPTED: "已采纳", REJECTED: "未采纳"}
DECISIONS = (ACCEPTED, REJECTED)
DECISION_VERBS = {ACCEPTED: "采纳", REJECTED: "不予采纳"}

WEB, PHONE, LETTER = "web", "phone", "letter"
CHANNELS = (WEB, PHONE, LETTER)
CHANNEL_NAMES = {WEB: "看板提交", PHONE: "电话", LETTER: "来函"}
_CHANNEL_WORDS = {"电话": PHONE, "来函": LETTER, "phone": PHONE, "letter": LETTER}

MAX_TEXT = 4000  # characters of an explanation
MAX_DECISION = 2000  # characters of a decision's reason (as an exemption's)
MAX_FILENAME = 120
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def citation(dispute_id: int) -> str:
    """How reports, exemptions and pages name a dispute: 情况说明 #12."""
    return f"情况说明 #{dispute_id}"


def exemption_reason(dispute_id: int, reason: str) -> str:
    """The reason of the exemption an accepted dispute becomes."""
    return f"依据{citation(dispute_id)}：{reason}"


def parse_channel(text: str | None) -> str:
    """电话 / 来函 (or phone / letter) for a dispute staff record; default 电话."""
    word = (text or "").strip().lower() or PHONE
    if word not in _CHANNEL_WORDS:
        raise InputError(f"渠道“{text}”无效：应为 电话 或 来函", value=text)
    return _CHANNEL_WORDS[word]


def parse_status(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    word = text.strip().lower()
    by_name = {v: k for k, v in STATUS_NAMES.items()}
    if word in STATUSES:
        return word
    if word in by_name:
        return by_name[word]
    raise InputError(f"状态“{text}”无效：应为 {' / '.join(STATUSES)}", value=text)


def check_text(text: str | None, what: str = "情况说明", limit: int = MAX_TEXT) -> str:
    """The explanation (or reason) stripped; refused when empty or longer than ``limit``."""
    clean = (text or "").replace("\r\n", "\n").strip()
    if not clean:
        raise InputError(f"{what}不能为空")
    if len(clean) > limit:
        raise InputError(f"{what}过长：{len(clean)} 字，最多 {limit} 字", value=len(clean))
    return clean


def check_decision(dispute_id: int, current: str, decision: str) -> None:
    """A pending dispute is decided once: accepted or rejected, never decided again."""
    if decision not in DECISIONS:
        raise InputError(f"决定“{decision}”无效：应为 accept 或 reject", value=decision)
    if current != PENDING:
        raise InputError(
            f"{citation(dispute_id)} 已有核实结果（{STATUS_NAMES[current]}），不能再次决定",
            value=current,
        )


# --- attachments -------------------------------------------------------------------------


def _zip_with(member: str) -> Callable[[bytes], bool]:
    def check(data: bytes) -> bool:
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                return member in z.namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            return False

    return check


def _prefix(*magics: bytes) -> Callable[[bytes], bool]:
    return lambda data: any(data.startswith(m) for m in magics)


_OLE2 = _prefix(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # .doc .xls .ppt .wps .et
_OOXML = _zip_with("[Content_Types].xml")


@dataclass(frozen=True)
class FileKind:
    content_type: str
    looks_right: Callable[[bytes], bool]
    name: str  # what the refusal calls it


FILE_KINDS: dict[str, FileKind] = {
    "pdf": FileKind("application/pdf", _prefix(b"%PDF-"), "PDF"),
    "ofd": FileKind("application/ofd", _zip_with("OFD.xml"), "OFD 版式文件"),
    "png": FileKind("image/png", _prefix(b"\x89PNG\r\n\x1a\n"), "PNG 图片"),
    "jpg": FileKind("image/jpeg", _prefix(b"\xff\xd8\xff"), "JPEG 图片"),
    "jpeg": FileKind("image/jpeg", _prefix(b"\xff\xd8\xff"), "JPEG 图片"),
    "doc": FileKind("application/msword", _OLE2, "Word 文档"),
    "docx": FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _OOXML,
        "Word 文档",
    ),
    "xls": FileKind("application/vnd.ms-excel", _OLE2, "Excel 表格"),
    "xlsx": FileKind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _OOXML, "Excel 表格"
    ),
    "wps": FileKind("application/vnd.ms-works", _OLE2, "WPS 文字"),
    "et": FileKind("application/vnd.ms-excel", _OLE2, "WPS 表格"),
}
ALLOWED_TEXT = "PDF、OFD、PNG、JPG、Word（doc/docx）、Excel（xls/xlsx）、WPS（wps/et）"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def clean_filename(name: str | None) -> str:
    """The file's own name as a browser sent it: no folders, no control characters, not too
    long (the extension kept)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C" and c not in '"<>|*?:')
    base = base.strip().strip(".") or "附件"
    if len(base) > MAX_FILENAME:
        stem, dot, ext = base.rpartition(".")
        keep = MAX_FILENAME - len(ext) - 1
        base = f"{stem[:keep]}.{ext}" if dot and 0 < len(ext) <= 8 else base[:MAX_FILENAME]
    return base


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def check_attachment(name: str | None, data: bytes, max_bytes: int) -> Attachment:
    """The attachment as it will be stored, or InputError: empty, too large, an extension not
    on the list, or content that is not what the extension says."""
    filename = clean_filename(name)
    if not data:
        raise InputError(f"附件“{filename}”是空文件")
    if len(data) > max_bytes:
        got, most = size_text(len(data)), size_text(max_bytes)
        if got == most:  # just over: rounded, the two would read the same
            got, most = f"{len(data)} 字节", f"{max_bytes} 字节"
        raise InputError(f"附件“{filename}”过大：{got}，最大 {most}", value=len(data))
    kind = FILE_KINDS.get(extension(filename))
    if kind is None:
        raise InputError(f"附件“{filename}”的类型不允许：只接受 {ALLOWED_TEXT}", value=filename)
    if not kind.looks_right(data):
        raise InputError(
            f"附件“{filename}”的内容不是{kind.name}（与扩展名不符），请上传原文件",
            value=filename,
        )
    return Attachment(filename, kind.content_type, data)


def size_text(n: int) -> str:
    """10 MB / 512 KB / 300 字节."""
    if n >= 1024 * 1024:
        mb = n / (1024 * 1024)
        return f"{mb:.0f} MB" if mb == int(mb) else f"{mb:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} 字节"
