"""``slamon web`` (the dashboard) and ``slamon user add`` (its users file)."""

from __future__ import annotations

import sys

import typer

from slamon.cli.common import console, runtime
from slamon.core.errors import InputError

user_app = typer.Typer(
    help="看板用户：slamon user add NAME --role viewer|operator",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def web(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（默认只监听本机）"),
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="端口"),
) -> None:
    """Web 看板：总览、部门、申请、月报、周报、数据质量、核实排除（需登录）。"""
    from slamon.web.server import serve
    from slamon.web.users import read_users
    from slamon.logs import setup_logging

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
    role: str = typer.Option(..., "--role", help="viewer（查看）或 operator（可核实排除）"),
) -> None:
    """添加看板用户或重设其角色和密码；密码从提示输入，标准输入不是终端时从标准输入读一行。"""
    from slamon.web.users import ROLES, add_user, check_name

    rt = runtime()
    role = role.strip().lower()
    if role not in ROLES:
        raise typer.BadParameter(f"应为 {' / '.join(ROLES)} 之一", param_hint="--role")
    check_name(name)
    path = rt.settings.web.users_file
    new = add_user(path, name, role, _read_password())
    console.print(
        f"{'已添加' if new else '已更新'}用户 {name}（{role}），写入 {path}", markup=False
    )


def register(app: typer.Typer) -> None:
    app.command("web")(web)
    app.add_typer(user_app, name="user")
