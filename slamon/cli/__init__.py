"""The ``slamon`` command line (typer + rich). User-facing text is Simplified Chinese.

Only this layer turns typed errors into one-line messages. Command modules import heavy
libraries (SQLAlchemy, yagmail, APScheduler, docx) inside the commands that need them, so
``slamon deadline``, ``calendar``, ``rules`` and ``--help`` stay fast.
"""

from __future__ import annotations

import sys

import typer

from slamon.cli import calendar_cmds, evidence_cmds, mail_cmds, report_cmds, store_cmds, web_cmds
from slamon.cli.common import console, err_console, state
from slamon.core.errors import SlamonError

app = typer.Typer(
    name="slamon",
    help="政务数据共享申请答复时限监测：计算答复期限、催办督办、生成月报“存在问题”。",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        from slamon import __version__

        console.print(f"slamon {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    config: str = typer.Option(
        None, "--config", metavar="PATH", help="配置文件；默认 $SLAMON_CONFIG，其次 ./config.yaml"
    ),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_show_version,
        is_eager=True,
        expose_value=False,
        help="显示已安装的版本并退出",
    ),
) -> None:
    state.config_path = config


for _module in (calendar_cmds, store_cmds, mail_cmds, report_cmds, evidence_cmds, web_cmds):
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: exit 0 on success, 1 on a user error (one Chinese line), 2 on usage errors."""
    state.reset()
    try:
        app(args=argv, prog_name="slamon")
    except SlamonError as exc:
        err_console.print(f"错误：{exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("已中断", markup=False)
        sys.exit(130)
