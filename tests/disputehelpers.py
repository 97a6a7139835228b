"""A dashboard with a department account (省公共资源交易中心) beside the viewer and operator of
tests/webhelpers.py, and small bits of real files for attachments."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient
from webhelpers import LATE_DEPT, Dashboard, make_dashboard

from slamon.web.users import add_user

DEPT_USER, DEPT_PASSWORD = "ggzy", "ggzy-password-1"
OTHER_DEPT = "省自然资源厅"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML_AS_PDF = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def make_department_dashboard(tmp_path: Path, **config: Any) -> Dashboard:
    d = make_dashboard(tmp_path, **config)
    add_user(d.rt.settings.web.users_file, DEPT_USER, "department", DEPT_PASSWORD, (LATE_DEPT,))
    return d


def login_department(
    client: TestClient, name: str = DEPT_USER, password: str = DEPT_PASSWORD
) -> None:
    r = client.post("/login", data={"username": name, "password": password})
    assert r.status_code == 200 and "退出" in r.text, r.text[:300]


def submit(
    client: TestClient,
    aid: str,
    text: str,
    file: tuple[str, bytes] | None = None,
    csrf: str | None = "from-page",
) -> Any:
    """POST the dispute form as a browser does (multipart), with the page's CSRF token."""
    if csrf == "from-page":
        page = client.get("/application", params={"id": aid}).text
        m = re.search(r'name="csrf" value="([^"]+)"', page)
        assert m
        csrf = m.group(1)
    data = {"id": aid, "text": text}
    if csrf is not None:
        data["csrf"] = csrf
    files = {"attachment": (file[0], file[1], "application/octet-stream")} if file else None
    if files is None:  # a form without a file is still multipart, as the browser sends it
        files = {"attachment": ("", b"", "application/octet-stream")}
    return client.post("/application/dispute", data=data, files=files, follow_redirects=False)
