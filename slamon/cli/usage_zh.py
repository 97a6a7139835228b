"""Typer/click in Chinese: help pages, usage lines and usage errors.

typer (0.29) passes its own words through the stdlib ``gettext`` (``typer.core._``): section
headings, ``default:``/``required``, "No such command". :func:`install_translations` puts a
:class:`ChineseTranslations` catalogue in that hook, so those are Chinese at the source. The copy
of click that typer 0.29 ships (``typer._click``) dropped click's gettext calls and builds its
messages with f-strings, and typer appends "Did you mean …" the same way: those messages, which
have no hook, are matched once where they are shown (:func:`translate_message`). The help
formatter writes 用法/选项/参数 with a full-width colon and Chinese type placeholders; it is
installed on every command of the tree by :func:`chinese_commands`, so commands added later are
covered without registering them specially.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import typer

# typer's gettext msgids (typer/core.py) and what the user reads instead.
_CATALOGUE = {
    "Arguments": "参数",
    "Options": "选项",
    "Commands": "命令",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（动态）",
    "Aborted!": "已中断",
    "Missing command.": "缺少命令",
    # No trailing full stop: typer strips "." before appending "Did you mean …".
    "No such command {name!r}.": "没有命令 {name!r}",
}


class ChineseTranslations(gettext.NullTranslations):
    """A message catalogue held in code: typer's msgids mapped to Chinese."""

    def gettext(self, message: str) -> str:
        return _CATALOGUE.get(message, message)


def _cell_len(text: str) -> int:
    from rich.cells import cell_len
    from typer._click._compat import strip_ansi

    return cell_len(strip_ansi(text))


def install_translations() -> None:
    """Route typer's gettext calls through :class:`ChineseTranslations` (idempotent).

    The help formatter also measures terms in terminal cells, so a Chinese placeholder (two
    cells a character) keeps the help column aligned.
    """
    import typer._click.formatting
    import typer.core

    typer.core._ = ChineseTranslations().gettext  # type: ignore[attr-defined]
    typer._click.formatting.term_len = _cell_len  # type: ignore[attr-defined]


_METAVARS = (("COMMAND [ARGS]...", "命令 [参数]..."), ("[OPTIONS]", "[选项]"))
# Built-in help texts of typer._click, which has no gettext hook.
_HELP_WORDS = (("Show this message and exit.", "显示本帮助并退出。"),)
_TYPE_NAMES = {
    "integer": "整数",
    "int": "整数",
    "float": "数字",
    "boolean": "true 或 false",
    "bool": "true 或 false",
    "text": "文本",
    "str": "文本",
    "Path": "路径",
    "path": "路径",
}
_PATH_KINDS = {"File": "文件", "Directory": "目录", "Path": "路径"}
_PLACEHOLDER = re.compile(r"<(list\[)?(\w+)\]?>")


def translate_placeholders(term: str) -> str:
    """``--rule <str>`` -> ``--rule <文本>``; ``<list[str]>`` -> ``<文本...>``."""

    def zh(m: re.Match[str]) -> str:
        return f"<{_TYPE_NAMES.get(m[2], m[2])}{'...' if m[1] else ''}>"

    return _PLACEHOLDER.sub(zh, term)


def _sub(pattern: str, make: Callable[[re.Match[str]], str]) -> tuple[re.Pattern[str], Any]:
    return re.compile(pattern, re.DOTALL), make


def translate_value_problem(text: str) -> str:
    """The reason a value was refused (the part after 'Invalid value for X:')."""
    for pattern, make in _VALUE_PROBLEMS:
        m = pattern.match(text.strip())
        if m:
            return make(m)
    return text


_VALUE_PROBLEMS = (
    _sub(
        r"^(?:Value )?(.+?) is not a valid (\w+)\.?$",
        lambda m: f"{m[1]} 不是有效的{_TYPE_NAMES.get(m[2], m[2])}",
    ),
    _sub(r"^(.+?) is not one of (.+?)\.?$", lambda m: f"{m[1]} 不是 {m[2]} 之一"),
    _sub(
        r"^(File|Directory|Path) (.+?) does not exist\.?$",
        lambda m: f"{_PATH_KINDS[m[1]]} {m[2]} 不存在",
    ),
    _sub(
        r"^(File|Directory|Path) (.+?) is a (file|directory)\.?$",
        lambda m: f"{_PATH_KINDS[m[1]]} {m[2]} 是{'文件' if m[3] == 'file' else '目录'}",
    ),
    _sub(r"^Input should be a valid integer.*$", lambda m: "应为整数"),
    _sub(r"^Input should be a valid number.*$", lambda m: "应为数字"),
    _sub(r"^Input should be a valid boolean.*$", lambda m: "应为 true 或 false"),
    _sub(r"^Input should be (.+)$", lambda m: f"应为 {m[1]}"),
)

_MESSAGES = (
    _sub(
        r"^(.+?)\. Did you mean (.+)\?$",
        lambda m: f"{translate_message(m[1])}（您是否要找 {m[2]}？）",
    ),
    _sub(r"^Missing option (\S+?)\.?$", lambda m: f"缺少选项 {m[1]}"),
    _sub(r"^Missing option (\S+?)\. (.+)$", lambda m: f"缺少选项 {m[1]}（{m[2]}）"),
    _sub(r"^Missing argument (\S+?)\.?$", lambda m: f"缺少参数 {m[1]}"),
    _sub(r"^Missing parameter:? (\S+?)\.?$", lambda m: f"缺少参数 {m[1]}"),
    _sub(
        r"^No such option: (\S+)(?: \(Possible options: (.+)\))?$",
        lambda m: f"没有选项 {m[1]}" + (f"（可能是：{m[2]}）" if m[2] else ""),
    ),
    _sub(
        r"^No such option: (\S+)\s+Did you mean (.+)\?$",
        lambda m: f"没有选项 {m[1]}（是否想用 {m[2]}？）",
    ),
    _sub(r"^No such command (.+?)\.?$", lambda m: f"没有命令 {m[1]}"),
    _sub(r"^Missing command\.?$", lambda m: "缺少命令"),
    _sub(r"^Got unexpected extra arguments? ?\(?(.*?)\)?$", lambda m: f"多余的参数：{m[1]}"),
    _sub(r"^Option (\S+) requires an argument\.?$", lambda m: f"选项 {m[1]} 需要一个值"),
    _sub(
        r"^Option (\S+) requires (\d+) arguments\.?$",
        lambda m: f"选项 {m[1]} 需要 {m[2]} 个值",
    ),
    _sub(r"^Option (\S+) does not take a value\.?$", lambda m: f"选项 {m[1]} 不接受值"),
    _sub(r"^Argument (\S+) takes (\d+) values\.?$", lambda m: f"参数 {m[1]} 需要 {m[2]} 个值"),
    _sub(
        r"^Invalid value for (.+?): (.+)$",
        lambda m: f"{m[1]} 的值无效：{translate_value_problem(m[2])}",
    ),
    _sub(r"^Invalid value: (.+)$", lambda m: f"值无效：{translate_value_problem(m[1])}"),
)


def translate_message(text: str) -> str:
    """A click/typer usage message in Chinese (unknown messages are returned unchanged)."""
    text = text.strip()
    for pattern, make in _MESSAGES:
        m = pattern.match(text)
        if m:
            return make(m)
    return translate_value_problem(text)


def translate_usage_args(args: str) -> str:
    for english, chinese in _METAVARS:
        args = args.replace(english, chinese)
    return args


class ChineseHelpFormatter(typer.Context.formatter_class):  # type: ignore[misc,name-defined]
    """click's help formatter writing Chinese headings, usage prefix and built-in help texts."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(
            prog, translate_usage_args(args), "用法：" if prefix is None else prefix
        )

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        def zh(text: str) -> str:
            for english, chinese in _HELP_WORDS:
                text = text.replace(english, chinese)
            return text

        rows = [(translate_placeholders(term), zh(text)) for term, text in rows]
        super().write_dl(rows, col_max, col_spacing)


class ChineseContext(typer.Context):
    formatter_class = ChineseHelpFormatter


def _walk(command: Any) -> Iterator[Any]:
    yield command
    for sub in (getattr(command, "commands", None) or {}).values():
        yield from _walk(sub)


def chinese_commands(root: Any) -> Any:
    """Install the Chinese catalogue, and the help formatter on ``root`` and every command."""
    install_translations()
    for command in _walk(root):
        command.context_class = ChineseContext
    return root


def usage_error_text(error: Any) -> str:
    """What the user reads for a usage error: the usage line, where to find help, the error."""
    ctx = getattr(error, "ctx", None)
    lines: list[str] = []
    if ctx is not None:
        lines.append(ctx.get_usage())
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(f"运行 {ctx.command_path} {ctx.help_option_names[0]} 查看帮助。")
        lines.append("")
    lines.append(f"错误：{translate_message(error.format_message())}")
    return "\n".join(lines)
