"""A dashboard over a real SQLite store with known applications, users and a fixed clock."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storehelpers import at, ingest_records, make_runtime, record

from slamon.adapters.store.db import open_store
from slamon.runtime import Runtime
from slamon.web.users import add_user

NOW = at("2024-10-15 10:00")
EVIL = "<script>alert(1)</script>"
LATE_DEPT = "省公共资源交易中心"
PASSWORDS = {"viewer": "viewer-password-1", "operator": "operator-password-1"}


def dashboard_records() -> list[Any]:
    """Received 2024-09-27 → due 2024-10-10 (makeup Sunday 29 Sep): overdue on 2024-10-15."""
    return [
        record("GZ-LATE-1", "2024-09-27 10:00", resource_name="工程类_招标项目"),
        record("GZ-LATE-2", "2024-09-27 11:00", resource_name="工程类-中标结果公告"),
        record(
            "GZ-SOON-1",
            "2024-10-09 09:00",  # due 2024-10-15 (makeup Saturday 12 Oct): due today
            provider_dept="省自然资源厅",
            resource_name="不动产登记",
        ),
        record(
            "GZ-DONE-1",
            "2024-10-08 09:00",
            provider_dept="省自然资源厅",
            resource_name="地理信息",
            decision="approved",
            decided_at=at("2024-10-09 15:00"),
        ),
        record("EVIL-1", "2024-09-27 10:00", provider_dept=EVIL, resource_name=EVIL),
    ]


@dataclass
class Dashboard:
    rt: Runtime
    engine: Any
    tmp: Path

    def app(self, now: dt.datetime = NOW) -> Any:
        from slamon.web.app import create_app

        return create_app(self.rt, self.engine, clock=lambda: now)


def make_dashboard(tmp_path: Path, records: list[Any] | None = None, **config: Any) -> Dashboard:
    rt = make_runtime(tmp_path, **config)
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    ingest_records(engine, rt, records if records is not None else dashboard_records(), NOW)
    rt.settings.web.users_file.write_text(users_file_text(tmp_path), encoding="utf-8")
    rt.settings.web.users_file.chmod(0o600)
    return Dashboard(rt, engine, tmp_path)


_USERS: list[str] = []


def users_file_text(tmp_path: Path) -> str:
    """The users file of ``PASSWORDS`` (user name = role), hashed once per test process."""
    if not _USERS:
        path = tmp_path / "users-once.txt"
        for role, password in PASSWORDS.items():
            add_user(path, role, role, password)
        _USERS.append(path.read_text(encoding="utf-8"))
    return _USERS[0]


def login(client: Any, role: str) -> None:
    r = client.post("/login", data={"username": role, "password": PASSWORDS[role]})
    assert r.status_code == 200 and "退出" in r.text, r.text[:300]


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)
