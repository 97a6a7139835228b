"""``slamon demo``: the whole job end to end on built-in sample data, with nothing configured.

Builds the demo platform database (a realistic December 2024), reads it with the real sql source,
polls as of a fixed moment, delivers the notices through yagmail into a local SMTP server that
saves them as .eml files, and writes the month's report and the weekly digest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from slamon.config import parse_settings
from slamon.runtime import Runtime
from slamon.service.poll_summary import PollSummary

DEMO_MONTH = "2024-12"


@dataclass
class DemoResult:
    output: Path
    runtime: Runtime
    now: dt.datetime
    poll: PollSummary
    store_url: str
    delivery: object | None = None
    mails: list[Path] = field(default_factory=list)
    mail_lines: list[str] = field(default_factory=list)  # "subject → recipients" per saved mail
    reports: list[Path] = field(default_factory=list)
    problems_text: str = ""


def demo_settings(output: Path, smtp_port: int) -> dict:
    from slamon.demo import people
    from slamon.demo import platform as demo_data

    url, query = demo_data.build_demo_platform(output / "demo-platform.db", DEMO_MONTH)
    return {
        "timezone": "Asia/Shanghai",
        "store": {"url": "sqlite:///slamon-demo.db"},
        "rules": {"active": ["guizhou-2023"]},
        "source": {"kind": "sql", "url": url, "query": query},
        "aliases": people.demo_aliases(),
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "sender": "slamon@xxzx.example.gov.cn"},
        "contacts": people.demo_contacts(),
        "supervisors": people.demo_supervisors(),
        "report": {"dir": "reports"},
    }


def run_demo(output: Path) -> DemoResult:
    from slamon.adapters.sources.factory import make_source
    from slamon.demo import platform as demo_data
    from slamon.demo.smtp_sink import EmlSink
    from slamon.service.delivery import worker_id
    from slamon.service.notices import deliver_due
    from slamon.service.poll import default_planner, run_poll_cycle
    from slamon.service.reports import monthly_report, write_demo_reports

    output = output.resolve()
    output.mkdir(parents=True, exist_ok=True)
    for old in (*output.glob("slamon-demo.db*"), *output.glob("mail/*.eml")):
        old.unlink()
    with EmlSink(output / "mail") as sink:
        data = demo_settings(output, sink.port)
        rt = Runtime(parse_settings(data, None, output, {}))
        now = demo_data.demo_now()
        engine = rt.engine
        source = make_source(rt.settings)
        assert source is not None
        summary = run_poll_cycle(engine, rt, source, now, planner=default_planner())
        delivery = deliver_due(engine, rt, now, worker_id("demo"))
        mails = list(sink.saved)
    reports = write_demo_reports(engine, rt, DEMO_MONTH, output / "reports", now)
    problems = monthly_report(engine, rt, DEMO_MONTH).problems_text
    return DemoResult(
        output,
        rt,
        now,
        summary,
        rt.settings.store_url,
        delivery,
        mails,
        [_mail_line(p) for p in mails],
        reports,
        problems,
    )


def _mail_line(path: Path) -> str:
    from email import policy
    from email.parser import BytesParser

    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    return f"{msg['Subject']} → {msg['To']}"
