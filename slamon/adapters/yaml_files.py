"""Reading YAML files: the one loader for rule files, calendar files and ``config.yaml``.

Dates are left as text by the loader, so an impossible date such as 2025-02-30 reaches the
validating code (and an error naming the file and field) instead of escaping PyYAML as a bare
ValueError. The shipped rules and calendar files are package data (``slamon/data/rules``); a
site folder (``rules.dir``) adds rules and calendar years, or overrides them by id / year.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from slamon.core.calendar import WorkCalendar, build_calendar
from slamon.core.calendar_file import CalendarYearFile, parse_calendar_file
from slamon.core.errors import CalendarError, RuleError
from slamon.core.rules import Rule, parse_rule

PACKAGED_RULES = Path(__file__).resolve().parent.parent / "data" / "rules"


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as text (see the module docstring)."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def load_yaml(path: Path, error: Callable[[str], Exception]) -> Any:
    """The parsed content of ``path``; a broken file raises ``error(problem)``, the problem
    naming the line where PyYAML knows it (the error itself names the file)."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise error(f"{where}不是有效的 YAML（{exc.__class__.__name__}）") from exc
    except UnicodeDecodeError as exc:
        raise error("不是 UTF-8 编码的文本") from exc
    except OSError as exc:
        raise error(f"无法读取（{exc.strerror}）") from exc


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.y*ml"))


def load_rules(folder: Path | str) -> dict[str, Rule]:
    """Every ``*.yaml`` rule directly in ``folder``, keyed by id (the file stem)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RuleError(f"规则目录 {folder} 不存在")
    rules: dict[str, Rule] = {}
    for path in _yaml_files(folder):
        data = load_yaml(path, lambda m, p=path: RuleError(m, path=p, rule=p.stem))
        rules[path.stem] = parse_rule(data, path.stem, str(path))
    return rules


def rule_folders(site: Path | None) -> list[Path]:
    """The packaged rules, then the site folder (later folders override earlier ones by id)."""
    return [PACKAGED_RULES, *([site] if site is not None else [])]


def load_all_rules(folders: Iterable[Path]) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for folder in folders:
        rules.update(load_rules(folder))
    return rules


def load_calendar_files(folder: Path) -> dict[int, CalendarYearFile]:
    """Every ``<year>.yaml`` in ``folder`` (a missing folder holds none)."""
    result: dict[int, CalendarYearFile] = {}
    if not folder.is_dir():
        return result
    for path in _yaml_files(folder):
        if not path.stem.isdigit():
            raise CalendarError("文件名应为年份，如 2027.yaml", path=path)
        data = load_yaml(path, lambda m, p=path: CalendarError(m, path=p))
        parsed = parse_calendar_file(data, str(path), expected_year=int(path.stem))
        result[parsed.year] = parsed
    return result


def calendar_files(rules_dir: Path | str | None) -> dict[int, CalendarYearFile]:
    """The packaged calendar files and those under ``<rules_dir>/calendar/`` (a site file
    replaces the packaged one for its year)."""
    files = load_calendar_files(PACKAGED_RULES / "calendar")
    if rules_dir:
        files.update(load_calendar_files(Path(rules_dir) / "calendar"))
    return files


def load_calendar(rules_dir: Path | str | None, **kwargs: int) -> WorkCalendar:
    """The calendar built from :func:`calendar_files`."""
    return build_calendar(calendar_files(rules_dir), **kwargs)
