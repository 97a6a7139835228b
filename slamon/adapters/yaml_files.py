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


# PyYAML's usual problems, and what an operator editing the file reads instead.
_YAML_PROBLEMS = (
    ("mapping values are not allowed", "此处不能出现“键: 值”，通常是缩进不对或值里的冒号未加引号"),
    ("that cannot start any token", "有不能出现在此处的字符（例如制表符，缩进只能用空格）"),
    ("could not find expected ':'", "缺少冒号“:”"),
    ("did not find expected key", "缩进不一致，找不到预期的键"),
    ("did not find expected", "缩进或括号不配对"),
    ("found unexpected end of stream", "引号或括号没有闭合"),
    ("found undefined alias", "引用了未定义的锚点（*名称）"),
    ("found duplicate anchor", "锚点（&名称）重复"),
    ("expected <block end>", "缩进不一致"),
    ("expected ',' or ']'", "方括号列表没有闭合或缺少逗号"),
    ("expected ',' or '}'", "花括号映射没有闭合或缺少逗号"),
    ("unhashable", "键不能是列表或映射"),
)
_YAML_KINDS = {
    "ScannerError": "词法错误",
    "ParserError": "结构错误",
    "ComposerError": "引用错误",
    "ConstructorError": "无法识别的值",
}


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A PyYAML error in Chinese: its kind and, for the usual problems, what is wrong."""
    kind = _YAML_KINDS.get(type(exc).__name__, "语法错误")
    problem = str(getattr(exc, "problem", "") or "")
    for english, chinese in _YAML_PROBLEMS:
        if english in problem:
            return f"{kind}：{chinese}"
    return kind


def load_yaml(path: Path, error: Callable[[str], Exception]) -> Any:
    """The parsed content of ``path``; a broken file raises ``error(problem)``, the problem
    naming the line where PyYAML knows it (the error itself names the file)."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        raise error(f"{where}不是有效的 YAML（{yaml_problem(exc)}）") from exc
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
