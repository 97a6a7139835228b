"""``slamon web`` (the dashboard) and ``slamon user add / remove / sessions`` (its users file
and their sessions in the store)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import typer

from slamon.cli.common import console, now_option, print_json, runtime, warn
from slamon.core.errors import InputError, StoreError

if TYPE_CHECKING:
    from slamon.service.web_sessions import WebSession

user_app = typer.Typer(
    help="看板用户：slamon user add NAME --role viewer|operator|department [--department D]；"
    "user remove NAME；user sessions",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def web(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（默认只监听本机）"),
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="端口"),
) -> None:
    """Web 看板：总览、部门、申请、月报、周报、数据质量、核实排除（需登录）。"""
    from slamon.logs import setup_logging
    from slamon.web.server import serve
    from slamon.web.users import read_users

    rt = runtime()
    setup_logging(rt.settings.log_format, tz=rt.tz)
    if not read_users(rt.settings.web.users_file):
        console.print(
            f"提示：用户文件 {rt.settings.web.users_file} 中还没有用户，"
            "请先运行 slamon user add NAME --role operator",
            markup=False,
        )
    rt.rules  # noqa: B018 — validate rules and calendar before serving
    rt.calendar  # noqa: B018
    serve(rt, host, port)


def _read_password() -> str:
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("密码：")
        if getpass.getpass("再次输入密码：") != first:
            raise InputError("两次输入的密码不一致")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="用户名"),
    role: str = typer.Option(
        ..., "--role", help="viewer（查看）、operator（可核实排除）或 department（部门）"
    ),
    departments: list[str] = typer.Option(
        None,
        "--department",
        metavar="DEPT",
        help="部门账号所属的提供部门（数据中的名称或已配置的别名；可重复）",
    ),
) -> None:
    """添加看板用户或重设其角色、部门和密码；密码从提示输入，标准输入不是终端时从标准输入读一行。"""
    from slamon.web.users import DEPARTMENT, ROLE_NAMES, ROLES, add_user, check_name

    rt = runtime()
    role = role.strip().lower()
    if role not in ROLES:
        raise typer.BadParameter(f"应为 {' / '.join(ROLES)} 之一", param_hint="--role")
    check_name(name)
    chosen: tuple[str, ...] = ()
    if role == DEPARTMENT:
        from slamon.service.accounts import resolve_departments

        chosen = resolve_departments(rt, departments or [])
    elif departments:
        raise InputError("只有部门账号（--role department）可以指定 --department")
    path = rt.settings.web.users_file
    new = add_user(path, name, role, _read_password(), chosen)
    scope = f"：{'、'.join(chosen)}" if chosen else ""
    console.print(
        f"{'已添加' if new else '已更新'}用户 {name}（{ROLE_NAMES[role]}{scope}），写入 {path}",
        markup=False,
    )
    _end_sessions(name, removed=False)


@user_app.command("remove")
def user_remove(name: str = typer.Argument(..., help="用户名")) -> None:
    """删除看板用户，并结束其全部会话。"""
    from slamon.web.users import remove_user

    path = runtime().settings.web.users_file
    if not remove_user(path, name):
        raise InputError(f"用户文件 {path} 中没有用户 {name}")
    console.print(f"已删除用户 {name}，写入 {path}", markup=False)
    _end_sessions(name, removed=True)


def _end_sessions(name: str, *, removed: bool) -> None:
    """After the users file changed: end the user's sessions in the store. Should the store be
    unreachable, the old cookies are refused all the same (bound to the old credential)."""
    from slamon.service import web_sessions as service

    rt = runtime()
    reason = service.REMOVED if removed else service.CREDENTIAL
    try:
        ended = service.end_user_sessions(rt.engine, name, dt.datetime.now(rt.tz), reason)
    except StoreError as exc:
        warn(f"警告：未能在存储库中结束其会话（{exc}）；旧会话仍会因凭据已变而被拒绝")
        return
    if ended:
        console.print(f"已结束其 {ended} 个会话", markup=False)


@user_app.command("sessions")
def user_sessions(
    revoke: int = typer.Option(None, "--revoke", metavar="ID", help="结束编号为 ID 的会话"),
    revoke_user: str = typer.Option(
        None, "--revoke-user", metavar="NAME", help="结束该用户全部会话"
    ),
    show_all: bool = typer.Option(False, "--all", help="也列出近 7 天内已结束的会话"),
    now: str = typer.Option(None, "--now", help="按此时刻判断（默认当前时间）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """列出看板的有效会话（用户、来源地址、登录与到期时间），或结束其中的会话。"""
    from slamon.service import web_sessions as service

    rt = runtime()
    at = now_option(now)
    if revoke is not None:
        s = service.revoke_session(rt.engine, revoke, at)
        console.print(f"已结束会话 {s.id}（用户 {s.user}）", markup=False)
        return
    if revoke_user is not None:
        ended = service.end_user_sessions(rt.engine, revoke_user, at, service.ADMIN)
        console.print(f"已结束用户 {revoke_user} 的 {ended} 个会话", markup=False)
        return
    found = service.list_sessions(rt.engine, at, live_only=not show_all)
    if as_json:
        print_json([s.as_json(at) for s in found])
        return
    _print_sessions(found, at, rt.tz, show_all)


def _print_sessions(
    found: list[WebSession], at: dt.datetime, tz: dt.tzinfo, show_all: bool
) -> None:
    from rich.table import Table
    from rich.text import Text

    from slamon.core.formats import table_moment
    from slamon.service.web_sessions import REVOKE_REASON_NAMES, STATUS_NAMES

    if not found:
        console.print("没有看板会话。" if show_all else "没有有效的看板会话。", markup=False)
        return
    table = Table(title=f"看板会话（{len(found)} 个）", title_justify="left")
    for col in ("编号", "用户", "来源地址", "登录时间", "到期时间", "状态"):
        table.add_column(col)
    for s in found:
        status = STATUS_NAMES[s.status(at)]
        if s.revoked_reason:
            status += f"（{REVOKE_REASON_NAMES.get(s.revoked_reason, s.revoked_reason)}）"
        table.add_row(
            str(s.id),
            Text(s.user),
            Text(s.client),
            table_moment(s.created_at, tz),
            table_moment(s.expires_at, tz),
            status,
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("web")(web)
    app.add_typer(user_app, name="user")
