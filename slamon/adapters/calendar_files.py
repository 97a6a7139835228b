"""Calendar files on disk: reading a holiday notice, writing a year's calendar file.

The file is written the way ``rules/calendar/README.md`` shows it (one line per holiday), to a
temporary file beside the target; it is read back through the one calendar-file parser and only
then renamed over ``<year>.yaml``, so a file that would not load is never left in place.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from slamon.adapters.yaml_files import load_yaml
from slamon.core.calendar_file import parse_calendar_file
from slamon.core.calendar_notice import decode_notice
from slamon.core.errors import CalendarError, InputError

# A notice is a page of text; anything far larger is not one.
_MAX_NOTICE_BYTES = 1_000_000

_HEADER = (
    "# 由 slamon calendar import 按国务院办公厅通知原文生成。\n"
    "# 格式见 rules/calendar/README.md；手工修改后请运行 slamon calendar {year} 核对。\n"
)


def calendar_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every calendar file in ``folder``: it changes when a
    file is written, edited, added or removed (one directory listing, no file read)."""
    try:
        paths = sorted(folder.glob("*.y*ml"))
        return tuple((p.name, (st := p.stat()).st_size, st.st_mtime_ns) for p in paths)
    except OSError:
        return ()


def read_notice(path: Path) -> str:
    """The text of a notice file (UTF-8 or GB18030)."""
    try:
        with path.open("rb") as f:
            data = f.read(_MAX_NOTICE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"无法读取通知文件 {path}（{exc.strerror}）", value=str(path)) from exc
    if len(data) > _MAX_NOTICE_BYTES:
        raise InputError(f"通知文件 {path} 过大，不像是一份通知", value=str(path))
    return decode_notice(data)


def _flow(value: Any) -> str:
    return yaml.safe_dump(
        value, allow_unicode=True, default_flow_style=True, sort_keys=False, width=10_000
    ).strip()


def render_calendar_file(data: Mapping[str, Any]) -> str:
    """The YAML text of a calendar file's content (year, notice, holidays, makeup_workdays)."""
    notice = yaml.safe_dump(
        dict(data["notice"]), allow_unicode=True, default_flow_style=False, sort_keys=False
    )
    lines = [
        _HEADER.format(year=data["year"]) + f"year: {data['year']}",
        "notice:",
        *(f"  {line}" for line in notice.splitlines()),
        "holidays:",
        *(f"  - {_flow(dict(entry))}" for entry in data["holidays"]),
        f"makeup_workdays: {_flow(list(data['makeup_workdays']))}",
    ]
    return "\n".join(lines) + "\n"


def write_calendar_file(folder: Path, data: Mapping[str, Any]) -> Path:
    """Write ``<folder>/<year>.yaml`` (the folder made if missing); returns the path written."""
    year = int(data["year"])
    target = folder / f"{year}.yaml"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{year}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise CalendarError(f"无法写入（{exc.strerror}）", path=target) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(render_calendar_file(data))
        written = load_yaml(tmp, lambda m: CalendarError(m, path=target))
        parse_calendar_file(written, str(target), expected_year=year)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        raise CalendarError(f"无法写入（{exc.strerror}）", path=target) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target
