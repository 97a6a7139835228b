"""``slamon test-mail``: one message through the configured relay, with what the server said."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from typing import Any

from slamon.core.errors import InputError
from slamon.core.formats import table_moment
from slamon.runtime import Runtime

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")


def send_test_mail(rt: Runtime, address: str, now: dt.datetime) -> Any:
    """Send one test message to ``address`` through the real mailer adapter.

    Returns its :class:`SendResult` (accepted, refused, the server's reply and name); a refusal
    or an outage raises the adapter's ``DeliveryError`` carrying the server's words."""
    from slamon.adapters.mail.mailer import OutgoingMessage, make_mailer

    address = address.strip()
    if not _ADDRESS.match(address):
        raise InputError(f"{address!r} 不是有效的邮箱地址")
    smtp = rt.settings.smtp
    where = f"{smtp.host}:{smtp.port}"
    moment = table_moment(now, rt.tz)
    text = (
        f"这是 slamon 发出的测试邮件（{moment}）。\n"
        f"发件人 {smtp.sender}，经邮件服务器 {where} 发出。收到本邮件说明催办、督办和周报邮件可以送达。\n"
    )
    domain = smtp.sender.rsplit("@", 1)[-1] or "localhost"
    message = OutgoingMessage(
        recipients=(address,),
        subject=f"slamon 测试邮件 {moment}",
        text=text,
        html="".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines()),
        message_id=f"<slamon.test.{uuid.uuid4().hex}@{domain}>",
        date=now.astimezone(rt.tz),  # the Date header in the configured zone, like every notice
    )
    mailer = make_mailer(smtp)
    try:
        return mailer.send(message)
    finally:
        mailer.close()
