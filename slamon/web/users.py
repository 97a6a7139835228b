"""The dashboard's users file: one user a line, written 0600::

    name:role:argon2-hash
    name:department:argon2-hash:["省公共资源交易中心", "省水利厅"]

Roles: ``viewer`` reads every page; ``operator`` may also record and revoke exemptions (核实排除)
and decide 情况说明; ``department`` sees only the applications of its departments (the fourth
field, a JSON list of canonical names: a name may hold any character but the hash never holds a
colon) and may submit 情况说明 about them. Lines of three fields (files written before) still load.
Passwords are stored only as argon2id hashes (argon2-cffi). The file is re-read when it changes,
so a removed user loses access at the next request. Each user's ``credential`` is a fingerprint
of its line: a session started under one password, role or list of departments is refused once
any changes, and a name removed and added again never revives an old session.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

from slamon.core.errors import ConfigError, InputError

VIEWER, OPERATOR, DEPARTMENT = "viewer", "operator", "department"
ROLES = (VIEWER, OPERATOR, DEPARTMENT)
ROLE_NAMES = {VIEWER: "查看", OPERATOR: "操作员", DEPARTMENT: "部门"}
MIN_PASSWORD = 8
_NAME = re.compile(r"^[^\s:]{1,64}$")


class UserEntry(NamedTuple):
    """One line of the users file."""

    role: str
    password_hash: str
    departments: tuple[str, ...] = ()  # role department only


@dataclass(frozen=True)
class User:
    name: str
    role: str
    credential: str = ""  # fingerprint of the role, hash and departments (see credential_of)
    departments: tuple[str, ...] = ()

    @property
    def is_operator(self) -> bool:
        return self.role == OPERATOR

    @property
    def is_department(self) -> bool:
        return self.role == DEPARTMENT

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)


@cache
def _hasher():  # noqa: ANN202 — argon2 is imported only where passwords are handled
    """argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): a login costs tens
    of milliseconds, not hundreds. ``verify`` reads the parameters from each stored hash."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@cache
def _dummy_hash() -> str:
    return _hasher().hash("slamon-no-such-user")


def credential_of(role: str, password_hash: str, departments: tuple[str, ...] = ()) -> str:
    """Changes whenever the user's role, password (every hash has its own salt) or departments
    do; a line without departments keeps the fingerprint it had before they existed."""
    text = f"{role}:{password_hash}"
    if departments:
        text += ":" + json.dumps(list(departments), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name or ""))


def check_name(name: str) -> str:
    if not valid_name(name):
        raise InputError(f"用户名 {name!r} 无效：1–64 个字符，不含空白和冒号")
    return name


def _parse_line(path: Path, n: int, line: str) -> tuple[str, UserEntry]:
    bad = InputError(
        f"用户文件 {path} 第 {n} 行格式无效（应为 名称:角色:argon2 哈希[:部门 JSON 列表]）"
    )
    parts = line.split(":", 3)
    if len(parts) < 3 or parts[1] not in ROLES or not parts[2].startswith("$argon2"):
        raise bad
    departments: tuple[str, ...] = ()
    if len(parts) == 4:
        try:
            listed = json.loads(parts[3])
        except ValueError:
            raise bad from None
        if not isinstance(listed, list) or not all(isinstance(d, str) and d for d in listed):
            raise bad
        departments = tuple(listed)
    if (parts[1] == DEPARTMENT) != bool(departments):  # a department account needs them
        raise bad
    return parts[0], UserEntry(parts[1], parts[2], departments)


def read_users(path: Path) -> dict[str, UserEntry]:
    """name → (role, hash, departments); empty when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(
            f"无法读取用户文件（{exc.strerror}）", key="web.users_file", path=path
        ) from exc
    out: dict[str, UserEntry] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, entry = _parse_line(path, n, line)
        out[name] = entry
    return out


def add_user(
    path: Path, name: str, role: str, password: str, departments: tuple[str, ...] = ()
) -> bool:
    """Add ``name`` or replace its role, password and departments. True when the user is new.
    ``departments`` (canonical names, see service/accounts.resolve_departments) are required
    for role department and refused for the others."""
    check_name(name)
    if role not in ROLES:
        raise InputError(f"角色 {role!r} 无效：应为 {' / '.join(ROLES)}")
    if role == DEPARTMENT and not departments:
        raise InputError("部门账号至少要指定一个部门（--department）")
    if role != DEPARTMENT and departments:
        raise InputError("只有部门账号（--role department）可以指定 --department")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"密码太短：至少 {MIN_PASSWORD} 个字符")
    users = read_users(path)
    new = name not in users
    users[name] = UserEntry(role, _hasher().hash(password), tuple(departments))
    _write_users(path, users)
    return new


def remove_user(path: Path, name: str) -> bool:
    """Remove ``name`` from the users file. False when there was no such user."""
    users = read_users(path)
    if users.pop(name, None) is None:
        return False
    _write_users(path, users)
    return True


def _line(name: str, e: UserEntry) -> str:
    text = f"{name}:{e.role}:{e.password_hash}"
    if e.departments:
        text += f":{json.dumps(list(e.departments), ensure_ascii=False)}"
    return text


def _write_users(path: Path, users: dict[str, UserEntry]) -> None:
    lines = ["# slamon 看板用户：名称:角色:argon2 哈希[:部门列表]（由 slamon user add 写入）"]
    lines += [_line(n, e) for n, e in sorted(users.items())]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _user(name: str, e: UserEntry) -> User:
    return User(name, e.role, credential_of(*e), e.departments)


class UserDirectory:
    """The users file as the web app sees it: re-read when its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, UserEntry] = {}

    def _current(self) -> dict[str, UserEntry]:
        try:
            st = self.path.stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._users = read_users(self.path) if stamp else {}
                self._stamp = stamp
            return self._users

    def get(self, name: str) -> User | None:
        entry = self._current().get(name)
        return _user(name, entry) if entry else None

    def authenticate(self, name: str, password: str) -> User | None:
        from argon2.exceptions import InvalidHashError, VerificationError

        if not valid_name(name):  # no such user can exist: no hash to spend time on
            return None
        entry = self._current().get(name)
        try:
            # an unknown name is verified against a dummy hash: timing tells no names apart
            _hasher().verify(entry[1] if entry else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        return _user(name, entry) if entry else None

    def __len__(self) -> int:
        return len(self._current())
