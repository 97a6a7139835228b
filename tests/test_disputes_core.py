"""The pure rules of 情况说明: which attachments pass (extension AND first bytes), file names,
channels, statuses, and that a decision comes once."""

from __future__ import annotations

import io
import unicodedata
import zipfile

import pytest
from disputehelpers import HTML_AS_PDF, PDF, PNG, docx_bytes
from hypothesis import given
from hypothesis import strategies as st

from slamon.core import disputes as rules
from slamon.core.errors import InputError

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100


def _zip(member: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(member, "x")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.pdf", PDF),
        ("a.PNG", PNG),
        ("a.jpg", b"\xff\xd8\xff\xe0" + b"0" * 10),
        ("a.docx", docx_bytes()),
        ("a.xlsx", docx_bytes()),
        ("a.doc", OLE2),
        ("a.et", OLE2),
        ("a.ofd", _zip("OFD.xml")),
    ],
)
def test_allowed_files_pass_with_the_type_of_their_extension(name: str, data: bytes) -> None:
    a = rules.check_attachment(name, data, 1 << 20)
    assert a.content_type == rules.FILE_KINDS[rules.extension(name)].content_type
    assert a.data == data and a.size == len(data)


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("a.pdf", HTML_AS_PDF, "内容不是PDF"),
        ("a.docx", _zip("word/document.xml"), "内容不是Word 文档"),  # a zip, not an Office file
        ("a.docx", b"PK\x03\x04broken", "内容不是Word 文档"),
        ("a.doc", PDF, "内容不是Word 文档"),
        ("a.html", b"<html>", "类型不允许"),
        ("a.svg", b"<svg/>", "类型不允许"),
        ("pdf", PDF, "类型不允许"),  # no extension at all
        (".pdf", PDF, "类型不允许"),
        ("a.pdf", b"", "空文件"),
    ],
)
def test_other_files_are_refused(name: str, data: bytes, words: str) -> None:
    with pytest.raises(InputError, match=words):
        rules.check_attachment(name, data, 1 << 20)


def test_the_size_limit_is_exact() -> None:
    rules.check_attachment("a.pdf", PDF + b"0" * (100 - len(PDF)), 100)
    with pytest.raises(InputError, match="过大：101 字节，最大 100 字节"):
        rules.check_attachment("a.pdf", PDF + b"0" * (101 - len(PDF)), 100)
    with pytest.raises(InputError, match="过大：2.0 MB，最大 1 MB"):
        rules.check_attachment("a.pdf", PDF + b"0" * (2 << 20), 1 << 20)


def test_file_names_lose_folders_and_control_characters() -> None:
    assert rules.clean_filename("C:\\Users\\张三\\复函.pdf") == "复函.pdf"
    assert rules.clean_filename("../../etc/passwd.pdf") == "passwd.pdf"
    assert rules.clean_filename('a"\r\nb<>.pdf') == "ab.pdf"
    assert rules.clean_filename("") == "附件"
    long = rules.clean_filename("长" * 300 + ".docx")
    assert len(long) == rules.MAX_FILENAME and long.endswith(".docx")


@given(st.text(max_size=300))
def test_a_cleaned_name_is_always_safe_in_a_header(name: str) -> None:
    clean = rules.clean_filename(name)
    assert 0 < len(clean) <= rules.MAX_FILENAME
    assert not any(c in clean for c in '/\\"<>\r\n')
    assert all(unicodedata.category(c)[0] != "C" for c in clean)


def test_channels_statuses_and_one_decision() -> None:
    assert [rules.parse_channel(w) for w in ("电话", "来函", None, "letter")] == [
        "phone",
        "letter",
        "phone",
        "letter",
    ]
    with pytest.raises(InputError, match="渠道“邮件”无效：应为 电话 或 来函"):
        rules.parse_channel("邮件")
    assert (
        rules.parse_status("待核实") == "pending" and rules.parse_status("accepted") == "accepted"
    )
    assert rules.parse_status(None) is None
    with pytest.raises(InputError, match="状态“done”无效"):
        rules.parse_status("done")
    rules.check_decision(3, rules.PENDING, rules.ACCEPTED)
    with pytest.raises(InputError, match=r"情况说明 #3 已有核实结果（已采纳），不能再次决定"):
        rules.check_decision(3, rules.ACCEPTED, rules.REJECTED)
    assert rules.exemption_reason(12, "属实") == "依据情况说明 #12：属实"


@pytest.mark.parametrize("value", ["10MB", 0, 1023, 60 * 1024 * 1024, True, 1.5])
def test_a_bad_attachment_limit_stops_start_up_naming_the_key(tmp_path, value) -> None:  # noqa: ANN001
    from storehelpers import make_runtime

    from slamon.core.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        make_runtime(tmp_path, web={"dispute_max_bytes": value})
    assert "web.dispute_max_bytes" in str(caught.value) and "1024 到 52428800" in str(caught.value)


def test_the_attachment_limit_defaults_to_10_mb(tmp_path) -> None:  # noqa: ANN001
    from storehelpers import make_runtime

    assert make_runtime(tmp_path).settings.web.dispute_max_bytes == 10 * 1024 * 1024
    rt = make_runtime(tmp_path, web={"dispute_max_bytes": 2048})
    assert rt.settings.web.dispute_max_bytes == 2048
