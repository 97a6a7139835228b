"""Every word a user reads is Chinese: typer's messages through its gettext hook, impossible dates,
broken YAML, driver and network errors (against the real PostgreSQL and MariaDB and a closed
port), the web server's bind failures and the dashboard's 404/405 pages."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient
from webhelpers import login, make_dashboard

from slamon.adapters import driver_errors
from slamon.adapters.driver_errors import REFUSED
from slamon.core.errors import InputError
from slamon.core.times import parse_datetime

ENGLISH = re.compile(r"Did you mean|No such|Missing|Try |Error|<str>|<int>|\bTEXT\b|Errno")
QUERY = "SELECT 'a' AS application_id"


# -- typer and click -----------------------------------------------------------------------------


def test_a_mistyped_command_suggests_the_right_one_in_chinese(run_cli):
    res = run_cli(["stauts"])
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines()[-1] == "错误：没有命令 'stauts'（您是否要找 'status'？）"
    assert not ENGLISH.search(res.stderr), res.stderr


@pytest.mark.parametrize(
    ("argv", "last_line"),
    [
        (["status", "--bogus"], "错误：没有选项 --bogus"),
        (["deadline"], "错误：缺少参数 'RECEIVED...'"),
    ],
)
def test_usage_errors_are_chinese(run_cli, argv, last_line):
    res = run_cli(argv)
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines()[-1] == last_line
    assert f"运行 slamon {argv[0]} --help 查看帮助。" in res.stderr
    assert not ENGLISH.search(res.stderr), res.stderr


def test_help_placeholders_and_defaults_come_through_the_catalogue(run_cli):
    res = run_cli(["deadline", "--help"])
    assert res.exit_code == 0
    assert "--rule <文本>" in res.stdout and "RECEIVED... <文本...>" in res.stdout
    assert "[默认：conditional]" in res.stdout and "[必填]" in res.stdout
    assert "参数：" in res.stdout and "选项：" in res.stdout
    assert not ENGLISH.search(res.stdout), res.stdout


def test_the_catalogue_is_a_gettext_translation_in_typers_hook(run_cli):
    import typer.core

    from slamon.cli.usage_zh import ChineseTranslations

    run_cli(["--help"])
    assert isinstance(typer.core._.__self__, ChineseTranslations)
    assert typer.core._("Options") == "选项"
    assert typer.core._("an unknown message") == "an unknown message"


def test_help_columns_stay_aligned_with_chinese_placeholders(run_cli):
    from rich.cells import cell_len

    lines = run_cli(["deadline", "--help"]).stdout.splitlines()
    starts = {
        cell_len(line[: line.index(word)])
        for line, word in (
            (next(x for x in lines if x.lstrip().startswith(opt)), help_word)
            for opt, help_word in (("--rule", "按此"), ("--json", "输出"), ("--help", "显示"))
        )
    }
    assert len(starts) == 1, lines


# -- dates, YAML ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2024-13-01", "月份 13 不在 1–12 之间"),
        ("2024-02-30", "2024年2月只有 29 天，没有 30 日"),
        ("2023年2月29日", "2023年2月只有 28 天，没有 29 日"),
        ("2024/4/31 10:00", "2024年4月只有 30 天，没有 31 日"),
        ("2024-02-28T25:00", "小时 25 不在 0–23 之间"),
        ("2024-02-28 10:61", "分钟 61 不在 0–59 之间"),
    ],
)
def test_impossible_dates_say_why_in_chinese(tz, text, reason):
    with pytest.raises(InputError) as info:
        parse_datetime(text, tz)
    assert str(info.value) == f"无法识别的日期时间 {text!r}：{reason}"
    assert info.value.value == text


def test_an_impossible_date_on_the_command_line_is_one_chinese_line(run_cli):
    res = run_cli(["deadline", "2024-02-30"])
    assert res.exit_code == 1
    assert (
        res.stderr.strip()
        == "错误：无法识别的日期时间 '2024-02-30'：2024年2月只有 29 天，没有 30 日"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("store:\n  url: a: b\n", "第 2 行第 9 列不是有效的 YAML（词法错误：此处不能出现“键: 值”"),
        ("store:\n\turl: x\n", "第 2 行第 1 列不是有效的 YAML（词法错误：有不能出现在此处的字符"),
        ("a: [1, 2\n", "不是有效的 YAML（结构错误：方括号列表没有闭合或缺少逗号）"),
        ('a: "x\n', "不是有效的 YAML（词法错误：引号或括号没有闭合）"),
    ],
)
def test_broken_yaml_is_explained_in_chinese(run_cli, write_config, text, problem):
    res = run_cli(["check-config"], config=write_config(text))
    assert res.exit_code == 1
    assert problem in res.stderr
    assert "Error" not in res.stderr, res.stderr


# -- drivers and the network ---------------------------------------------------------------------


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound and not listening: a connection to it is refused, and nothing can take it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def _source_line(run_cli, write_config, url: str, query: str = QUERY) -> str:
    cfg = write_config(
        {"store": {"url": "sqlite:///s.db"}, "source": {"kind": "sql", "url": url, "query": query}}
    )
    res = run_cli(["check-config"], config=cfg)
    line = next(x for x in res.stdout.splitlines() if "数据源：" in x and "错误" in x)
    assert not re.search(r"[A-Za-z]{4,} [a-z]{3,}", line.split("：", 2)[-1]), line
    return line


def _with(url: str, **parts: str) -> str:
    return make_url(url).set(**parts).render_as_string(hide_password=False)


def test_postgresql_errors_are_translated(run_cli, write_config, pg_url):
    line = _source_line(run_cli, write_config, _with(pg_url, username="nosuchrole"))
    assert line.endswith("账号 nosuchrole 不存在")
    line = _source_line(run_cli, write_config, _with(pg_url, database="nosuchdb"))
    assert line.endswith("数据库 nosuchdb 不存在")
    line = _source_line(run_cli, write_config, pg_url, "SELECT nosuchcol AS application_id")
    assert "查询中的列 nosuchcol 不存在" in line


def test_mariadb_errors_are_translated(run_cli, write_config, mysql_url):
    line = _source_line(run_cli, write_config, _with(mysql_url, username="nosuch", password="pw"))
    assert "账号 nosuch 被拒绝登录（用户名或密码错误" in line
    line = _source_line(run_cli, write_config, _with(mysql_url, database="nosuchdb"))
    assert line.endswith("数据库 nosuchdb 不存在")
    line = _source_line(run_cli, write_config, mysql_url, "SELECT nosuchcol AS application_id")
    assert "查询中的列 nosuchcol 不存在" in line


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"])
def test_a_closed_port_is_a_refused_connection(run_cli, write_config, closed_port, scheme):
    url = f"{scheme}://u@127.0.0.1:{closed_port}/db"
    line = _source_line(run_cli, write_config, url)
    assert line.endswith(REFUSED)


def test_the_raw_driver_text_is_only_in_the_log(caplog):
    import pymysql

    exc = pymysql.err.OperationalError(
        2003, "Can't connect to MySQL server on '127.0.0.1' ([Errno 111] Connection refused)"
    )
    with caplog.at_level("INFO", logger="slamon.adapters.driver_errors"):
        assert driver_errors.reason(exc) == REFUSED
    assert "Can't connect to MySQL server" in caplog.text
    assert driver_errors.reason(ValueError("something new")) == "something new"


def test_a_store_behind_a_closed_port_is_one_chinese_line(run_cli, write_config, closed_port):
    url = f"mysql+pymysql://root@127.0.0.1:{closed_port}/test"
    res = run_cli(["status"], config=write_config({"store": {"url": url}}))
    assert res.exit_code == 1
    assert res.stderr.strip().endswith(REFUSED)
    assert "Errno" not in res.stderr


def test_a_refused_smtp_connection_is_chinese(closed_port):
    from slamon.adapters.mail.probe import probe_smtp
    from slamon.config import SmtpConfig

    level, message = probe_smtp(SmtpConfig(host="127.0.0.1", port=closed_port), timeout=2)
    assert level == "warn"
    assert message == f"无法连接邮件服务器 127.0.0.1:{closed_port}（{REFUSED}）"


# -- the web server and its error pages ----------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("nosuch.invalid", "主机名 nosuch.invalid 无法解析"),
        ("192.0.2.1", "本机没有地址 192.0.2.1"),  # TEST-NET-1: never an address of this host
    ],
)
def test_web_on_a_bad_host_names_the_real_cause(run_cli, write_config, host, reason):
    cfg = write_config({"store": {"url": "sqlite:///s.db"}})
    res = run_cli(["web", "--host", host, "--port", "8080"], config=cfg)
    assert res.exit_code == 1
    assert res.stderr.strip().splitlines()[-1] == f"错误：无法在 {host}:8080 上监听（{reason}）"
    assert "uvicorn" not in res.stderr and "端口已被占用" not in res.stderr


def test_web_on_a_taken_port_says_so(run_cli, write_config):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        res = run_cli(["web", "--port", str(port)], config=write_config({}))
    assert (
        res.stderr.strip().splitlines()[-1]
        == f"错误：无法在 127.0.0.1:{port} 上监听（端口已被占用）"
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    dash = make_dashboard(tmp_path)
    with TestClient(dash.app()) as c:
        yield c
    dash.engine.dispose()


def test_404_and_405_are_pages_of_the_site_in_chinese(client):
    login(client, "viewer")
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]
    assert '<link rel="stylesheet"' in missing.text and "没有这个页面" in missing.text
    assert "Not Found" not in missing.text
    wrong = client.post("/report")
    assert wrong.status_code == 405
    assert (
        "此页面不接受这种请求方式（POST）" in wrong.text and "Method Not Allowed" not in wrong.text
    )
    assert "GET" in wrong.headers["allow"]
    assert client.get("/static/no-such.css").status_code == 404
