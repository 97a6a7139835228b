"""Recipients the mail server refused: which addresses are still not getting mail. Pure.

A 550 for one of two contacts is recorded on the outbox row (the message went to the other one),
and an address refused for every message keeps a department from ever hearing of its deadlines.
A refusal stays open until the same address accepts a later message, or until it is no longer a
configured recipient (the operator corrected ``contacts``, ``supervisors`` or ``operators``):
that is how it is acknowledged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

REFUSAL_WINDOW = dt.timedelta(days=7)  # how far back ``outbox`` and ``health`` look


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt of an outbox row: when, to whom, and who refused (address: reason)."""

    at: dt.datetime
    department: str | None  # the department whose contacts the message was for, if any
    recipients: Sequence[str]
    refused: Mapping[str, str]
    delivered: bool  # the server took the message for the recipients it did not refuse


@dataclass(frozen=True)
class RefusedRecipient:
    address: str
    department: str | None
    last_refused_at: dt.datetime
    count: int  # messages refused for this address in the window
    reason: str  # the server's last answer ("550 5.1.1 ...")

    def as_json(self) -> dict[str, object]:
        return {
            "address": self.address,
            "department": self.department,
            "last_refused_at": self.last_refused_at,
            "count": self.count,
            "reason": self.reason,
        }

    def phrase(self) -> str:
        """``a@x（省公共资源交易中心，2 次）``."""
        where = f"{self.department}，" if self.department else ""
        return f"{self.address}（{where}{self.count} 次）"


def open_refusals(
    deliveries: Iterable[Delivery], configured: Collection[str]
) -> list[RefusedRecipient]:
    """The addresses refused in ``deliveries`` that accepted no later message and are still in
    ``configured``, by department and address."""
    found: dict[str, RefusedRecipient] = {}
    for d in sorted(deliveries, key=lambda d: d.at):
        for address, reason in d.refused.items():
            key = address.lower()
            before = found.get(key)
            found[key] = RefusedRecipient(
                address, d.department, d.at, (before.count if before else 0) + 1, reason
            )
        if d.delivered:
            refused = {a.lower() for a in d.refused}
            for address in d.recipients:
                if address.lower() not in refused:
                    found.pop(address.lower(), None)
    wanted = {a.lower() for a in configured}
    return sorted(
        (r for k, r in found.items() if k in wanted),
        key=lambda r: (r.department or "", r.address),
    )


def refusals_phrase(refused: Sequence[RefusedRecipient]) -> str:
    """``2 个收件人拒收邮件：a@x（部门，1 次）、b@y（1 次）``."""
    return f"{len(refused)} 个收件人拒收邮件：" + "、".join(r.phrase() for r in refused)
