"""``check-config``'s look at the relay: connect, greet, STARTTLS when configured, and log in when
``smtp.username`` is set — reporting exactly what the server said. Sends nothing."""

from __future__ import annotations

import smtplib
import ssl

from slamon.adapters import driver_errors
from slamon.config import SmtpConfig


def _said(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {text}".strip()


def probe_smtp(smtp: SmtpConfig, timeout: float = 5) -> tuple[str, str]:
    """(level, message): ``ok``, ``warn`` (unreachable: mail waits) or ``error`` (refused login)."""
    where = f"{smtp.host}:{smtp.port}"
    cls = smtplib.SMTP_SSL if smtp.ssl else smtplib.SMTP
    try:
        client = cls(smtp.host, smtp.port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        return "warn", f"无法连接邮件服务器 {where}（{driver_errors.reason(exc)}）"
    try:
        client.ehlo_or_helo_if_needed()
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if not smtp.username:
            return "ok", f"{where} 可连接（未配置 smtp.username，不登录）"
        password = smtp.password()
        if password is None:
            return "error", (
                "已配置 smtp.username，但未提供密码（SLAMON_SMTP_PASSWORD 或 smtp.password_file）"
            )
        code, resp = client.login(smtp.username, password)
        return "ok", f"{where} 可连接，以 {smtp.username} 登录成功（{_said(code, resp)}）"
    except smtplib.SMTPAuthenticationError as exc:
        return "error", (
            f"邮件服务器 {where} 拒绝了 {smtp.username} 的登录（{_said(exc.smtp_code, exc.smtp_error)}）："
            "请检查 smtp.username 和密码"
        )
    except smtplib.SMTPNotSupportedError as exc:
        return (
            "error",
            f"邮件服务器 {where} 不支持所需功能（{exc}）：请检查 smtp.ssl / smtp.starttls",
        )
    except smtplib.SMTPResponseException as exc:
        return "error", f"邮件服务器 {where} 答复 {_said(exc.smtp_code, exc.smtp_error)}"
    except (OSError, smtplib.SMTPException) as exc:
        return "warn", f"与邮件服务器 {where} 的会话中断（{driver_errors.reason(exc)}）"
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
