"""What one delivery pass did, for the CLI, the daemon's log and ``--json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    held: int = 0  # outcome unknown twice: waiting for an operator
    lost_claims: int = 0  # rows another worker claimed first
    outside_window: bool = False
    stopped: str | None = None  # the server-level error that ended the pass early
    refused: dict[int, dict[str, str]] = field(default_factory=dict)  # row id -> {address: reason}
    errors: dict[int, str] = field(default_factory=dict)  # row id -> error

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed + self.held

    def __str__(self) -> str:
        if self.outside_window:
            return "邮件：当前不在发送时段（工作日的发送窗口内），待发邮件将在下一个发送时段发出"
        parts = [f"邮件：发送 {self.sent} 封"]
        if self.retried:
            parts.append(f"待重试 {self.retried} 封")
        if self.failed:
            parts.append(f"失败 {self.failed} 封")
        if self.cancelled:
            parts.append(f"取消 {self.cancelled} 封（所列申请均已答复或已核实排除）")
        if self.held:
            parts.append(f"{self.held} 封无法确定是否已投递，待人工处理（slamon outbox 查看）")
        if self.refused:
            n = sum(len(v) for v in self.refused.values())
            parts.append(f"{n} 个收件人被拒收（slamon outbox 查看）")
        text = "，".join(parts)
        if self.stopped:
            text += f"；邮件服务器暂不可用，本轮停止：{self.stopped}"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "held": self.held,
            "lost_claims": self.lost_claims,
            "outside_window": self.outside_window,
            "stopped": self.stopped,
            "refused": {str(k): v for k, v in self.refused.items()},
            "errors": {str(k): v for k, v in self.errors.items()},
        }
