"""The mailer adapter: one message in, exactly what happened out. Sends through yagmail 0.16.

yagmail facts this adapter is built on (ARCHITECTURE.md):
- ``user=`` is the envelope sender and the From address;
- it does not always raise: a partly refused recipient list comes back as a dict of refusals,
  and after three attempts on a dropped connection it returns False and keeps the message in
  ``yag.unsent``;
- without a password and without ``smtp_skip_login`` it asks keyring and can block on a prompt.
  This adapter always passes ``smtp_skip_login=True`` and logs in itself with the password from
  :meth:`SmtpConfig.password` (``SLAMON_SMTP_PASSWORD`` or ``password_file``), so keyring is
  never reached;
- ``send()`` opens a new connection every time and builds a text part that is the HTML again.
  The subclass below reuses a live connection and supplies its own MIME message (a real
  text/plain part next to text/html, a stable Message-ID) through ``prepare_send``;
- ``_attempt_send`` retries a dropped connection three times, each time sending the message
  again, although the server may already have accepted it: the subclass makes ONE attempt per
  ``send()`` call, and tells whether the message was already handed over (the DATA phase was
  reached) when the connection dropped or the reply did not come in time: then the outcome is
  unknown (:class:`DeliveryError` ``unknown=True``) and the delivery service decides.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import smtplib
from dataclasses import dataclass, field
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from typing import Any, Protocol

from slamon.adapters import driver_errors
from slamon.config import SmtpConfig
from slamon.core.errors import MailError

SENDER_NAME = "数据共享申请时限监测"


@dataclass(frozen=True)
class Attachment:
    filename: str  # what the reader sees (Chinese allowed: RFC 2231 encoded)
    content_type: str  # "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    data: bytes


@dataclass(frozen=True)
class InlineImage:
    """A picture the HTML shows by ``src="cid:<content_id>"`` (multipart/related): it shows in
    clients that block remote images (Outlook, Foxmail, webmail)."""

    content_id: str  # without the angle brackets
    filename: str
    data: bytes  # PNG


@dataclass(frozen=True)
class OutgoingMessage:
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str
    message_id: str
    date: dt.datetime | None = None
    attachments: tuple[Attachment, ...] = ()
    inline: tuple[InlineImage, ...] = ()

    def to_mime(self, sender: str) -> MIMEMultipart:
        """multipart/alternative: a real text/plain part, then text/html (both UTF-8, base64);
        with attachments, that inside a multipart/mixed followed by each attachment.

        Built with the classic ``email.mime`` classes: header folding under the modern policy
        costs several milliseconds a message, which dominates a delivery pass.
        """
        body = MIMEMultipart("alternative")
        body.attach(MIMEText(self.text, "plain", "utf-8"))
        body.attach(MIMEText(self.html, "html", "utf-8"))
        msg = _with_attachments(_with_inline(body, self.inline), self.attachments)
        msg["From"] = formataddr((SENDER_NAME, sender), charset="utf-8")
        msg["To"] = ", ".join(self.recipients)
        msg["Subject"] = Header(self.subject, "utf-8")
        msg["Message-ID"] = self.message_id
        msg["Date"] = format_datetime(self.date or dt.datetime.now(dt.UTC))
        msg["Auto-Submitted"] = "auto-generated"
        return msg


def _with_inline(body: MIMEMultipart, images: tuple[InlineImage, ...]) -> MIMEMultipart:
    """multipart/related: the alternative parts, then each picture with its Content-ID."""
    if not images:
        return body
    from email.mime.image import MIMEImage

    related = MIMEMultipart("related")
    related.attach(body)
    for image in images:
        part = MIMEImage(image.data, _subtype="png")
        part.add_header("Content-ID", f"<{image.content_id}>")
        part.add_header("Content-Disposition", "inline", filename=image.filename)
        related.attach(part)
    return related


def _with_attachments(body: MIMEMultipart, attachments: tuple[Attachment, ...]) -> MIMEMultipart:
    if not attachments:
        return body
    from email.mime.application import MIMEApplication

    mixed = MIMEMultipart("mixed")
    mixed.attach(body)
    for a in attachments:
        part = MIMEApplication(a.data, _subtype=a.content_type.split("/", 1)[1])
        part.replace_header("Content-Type", a.content_type)
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", a.filename))
        mixed.attach(part)
    return mixed


@dataclass
class SendResult:
    accepted: list[str]
    refused: dict[str, str] = field(default_factory=dict)  # address -> "code reason"
    reply: str | None = None  # the server's reply to the message (DATA), "250 2.0.0 Ok: queued …"
    server: str | None = None  # the name the server gave in its EHLO/HELO reply


class DeliveryError(MailError):
    """The message did not go out.

    ``connection``: the server cannot be used at all right now (down, timeout, login refused):
    stop the delivery pass. ``permanent``: retrying this message cannot help (every recipient
    refused with 5xx, message refused with 5xx). ``unknown``: the message was handed over and
    then the connection dropped or the reply came too late: the server may have accepted it.
    """

    def __init__(
        self,
        message: str,
        *,
        connection: bool = False,
        permanent: bool = False,
        unknown: bool = False,
        refused: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.connection, self.permanent, self.unknown = connection, permanent, unknown
        self.refused = refused or {}


class _OutcomeUnknown(Exception):
    """The connection failed after the message was handed to the server (DATA phase)."""


class Mailer(Protocol):
    def send(self, message: OutgoingMessage) -> SendResult: ...

    def close(self) -> None: ...


def _reason(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {text}".strip()


def _yag_class() -> type:
    import yagmail

    class _Client(yagmail.SMTP):
        """yagmail with connection reuse, our own MIME message and a login that never asks keyring."""

        def __init__(
            self, *args: Any, login_user: str | None, login_password: str | None, **kwargs: Any
        ) -> None:
            super().__init__(*args, **kwargs)
            self._login_user, self._login_password = login_user, login_password

        def login(self) -> None:
            if self.smtp is not None and not self.is_closed:
                try:
                    if self.smtp.noop()[0] == 250:
                        return
                except (smtplib.SMTPException, OSError):
                    pass
                self.close()
            super().login()  # connects; smtp_skip_login=True, so no password handling there
            if self._login_user:
                self.smtp.login(self._login_user, self._login_password or "")

        def _attempt_send(self, recipients: list[str], msg_strings: str) -> dict[str, Any]:
            """One SMTP transaction, never repeated here (yagmail's own loop sends up to 3 copies)."""
            smtp = self.smtp
            self.last_reply = None
            reached_data = False
            original_data = smtp.data

            def data(msg: Any) -> Any:
                nonlocal reached_data
                reached_data = True
                code, resp = original_data(msg)
                self.last_reply = _reason(code, resp)  # what the server said to the message
                return code, resp

            smtp.data = data
            try:
                return smtp.sendmail(self.user, recipients, msg_strings)
            except smtplib.SMTPResponseException:
                raise  # the server answered: a known refusal
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                if reached_data:
                    raise _OutcomeUnknown(f"{exc.__class__.__name__}: {exc}") from exc
                raise
            finally:
                with contextlib.suppress(AttributeError):
                    del smtp.data

        def prepare_send(
            self,
            to: Any = None,
            subject: Any = None,
            contents: Any = None,
            *args: Any,
            **kwargs: Any,
        ) -> tuple[list[str], str]:
            # 7-bit ASCII (encoded headers, base64 bodies): smtplib turns the newlines into CRLF.
            msg: MIMEMultipart = contents
            return list(to), msg.as_string()

    return _Client


class YagmailMailer:
    """Sends through one (reused) yagmail connection; ``close()`` when the pass is over."""

    def __init__(self, smtp: SmtpConfig) -> None:
        self.config = smtp
        password = smtp.password() if smtp.username else None
        if smtp.username and not password:
            raise DeliveryError(
                "已配置 smtp.username，但未提供密码（环境变量 SLAMON_SMTP_PASSWORD 或 smtp.password_file）",
                connection=True,
            )
        self._client = _yag_class()(
            user=smtp.sender,
            password=None,
            host=smtp.host,
            port=smtp.port,
            smtp_ssl=smtp.ssl,
            smtp_starttls=smtp.starttls,
            smtp_skip_login=True,
            soft_email_validation=False,
            timeout=smtp.timeout_seconds,
            login_user=smtp.username,
            login_password=password,
        )

    def send(self, message: OutgoingMessage) -> SendResult:
        c, where = self._client, f"{self.config.host}:{self.config.port}"
        recipients = list(message.recipients)
        try:
            result = c.send(to=recipients, contents=message.to_mime(self.config.sender))
        except smtplib.SMTPAuthenticationError as exc:
            self._drop_connection()
            raise DeliveryError(
                f"SMTP 登录失败（{where}，{_reason(exc.smtp_code, exc.smtp_error)}）：请检查 smtp.username 和密码",
                connection=True,
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            self._drop_connection()
            raise DeliveryError(
                f"SMTP 服务器 {where} 不支持所需功能（{exc}）：请检查 smtp.ssl / smtp.starttls / smtp.username",
                connection=True,
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            refused = {a: _reason(code, resp) for a, (code, resp) in exc.recipients.items()}
            permanent = all(code >= 500 for code, _ in exc.recipients.values())
            raise DeliveryError(
                f"全部收件人被拒收：{'；'.join(f'{a}（{r}）' for a, r in refused.items())}",
                permanent=permanent,
                refused=refused,
            ) from exc
        except _OutcomeUnknown as exc:
            self._drop_connection()
            raise DeliveryError(
                f"邮件已交给服务器 {where}，但连接随即中断或回复超时（{exc}），无法确定是否已投递",
                unknown=True,
            ) from exc
        except smtplib.SMTPSenderRefused as exc:
            self._drop_connection()
            reason = _reason(exc.smtp_code, exc.smtp_error)
            if exc.smtp_code == 530:
                text = f"邮件服务器 {where} 要求登录（{reason}）：请配置 smtp.username 和密码"
            elif exc.smtp_code < 500:  # 421/450/451: the server's own trouble, not the address
                text = f"邮件服务器 {where} 暂时不接收邮件（{reason}），稍后重试"
            else:
                text = f"发件人 {exc.sender} 被服务器 {where} 拒绝（{reason}）：请检查 smtp.sender"
            raise DeliveryError(text, connection=True) from exc
        except smtplib.SMTPDataError as exc:
            raise DeliveryError(
                f"邮件内容被拒绝（{_reason(exc.smtp_code, exc.smtp_error)}）",
                permanent=exc.smtp_code >= 500,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop_connection()
            raise DeliveryError(
                f"无法连接或发送到邮件服务器 {where}（{driver_errors.reason(exc)}）",
                connection=True,
            ) from exc
        refused = {a: _reason(code, resp) for a, (code, resp) in (result or {}).items()}
        return SendResult(
            [a for a in recipients if a not in refused],
            refused,
            reply=getattr(c, "last_reply", None),
            server=self._server_name(),
        )

    def _server_name(self) -> str | None:
        smtp = getattr(self._client, "smtp", None)
        resp = getattr(smtp, "ehlo_resp", None) or getattr(smtp, "helo_resp", None)
        if not resp:
            return None
        text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
        return text.splitlines()[0].strip() or None

    def _drop_connection(self) -> None:
        with contextlib.suppress(Exception):  # the connection is already broken
            self._client.close()

    def close(self) -> None:
        self._drop_connection()


def make_mailer(smtp: SmtpConfig) -> Mailer:
    return YagmailMailer(smtp)
