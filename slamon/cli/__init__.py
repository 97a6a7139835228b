"""The ``slamon`` command line (typer + rich). User-facing text is Simplified Chinese.

Only this layer turns typed errors into one-line messages. Command modules import heavy
libraries (SQLAlchemy, yagmail, APScheduler, docx) inside the commands that need them, so
``slamon deadline``, ``calendar``, ``rules`` and ``--help`` stay fast.
"""

from __future__ import annotations

import logging
import sys

import typer

from slamon.cli import (
    calendar_cmds,
    dispute_cmds,
    evidence_cmds,
    mail_cmds,
    ops_cmds,
    report_cmds,
    store_cmds,
    web_cmds,
)
from slamon.cli.common import console, err_console, fit_consoles_to_output, state
from slamon.cli.usage_zh import chinese_commands, translate_message, usage_error_text
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
    verbose: bool = typer.Option(False, "--verbose", "-v", help="把运行日志写到标准错误输出"),
) -> None:
    state.config_path = config
    state.verbose = verbose
    if verbose:
        from slamon.logs import setup_logging

        setup_logging("text", scoped=True)


for _module in (
    calendar_cmds,
    store_cmds,
    mail_cmds,
    report_cmds,
    evidence_cmds,
    dispute_cmds,
    web_cmds,
    ops_cmds,
):
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: exit 0 on success, 1 on a user error (one Chinese line), 2 on usage errors.

    Log lines reach stderr only in the daemon (``slamon run``) or with ``--verbose``: a command
    reports a problem once, as its one Chinese line.
    """
    from typer import Abort
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

    state.reset()
    fit_consoles_to_output()
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    command = chinese_commands(typer.main.get_command(app))
    try:
        code = command.main(args=argv, prog_name="slamon", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        sys.stdout.write(exc.format_message() + "\n")
        sys.exit(exc.exit_code)
    except UsageError as exc:
        _say(usage_error_text(exc))
        sys.exit(exc.exit_code)
    except ClickException as exc:
        _say(f"错误：{translate_message(exc.format_message())}")
        sys.exit(exc.exit_code)
    except SlamonError as exc:
        _say(f"错误：{exc}")
        sys.exit(1)
    except (KeyboardInterrupt, Abort):
        _say("已中断")
        sys.exit(130)
    finally:
        from slamon.logs import remove_scoped_handlers

        remove_scoped_handlers()
    if isinstance(code, int) and code:
        sys.exit(code)


def _say(text: str) -> None:
    err_console.print(text, markup=False, highlight=False, soft_wrap=True)
