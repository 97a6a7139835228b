"""一、（一）数据调度情况: the month's dispatch counts, pure, over as-of views of its applications."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from slamon.core.records import ApplicationRecord
from slamon.core.vocabulary import (
    APPROVED,
    CONDITIONAL,
    PASSED,
    REJECTED,
    RETURNED,
    REVIEW_PENDING,
    WITHDRAWN,
)


@dataclass(frozen=True)
class Dispatch:
    """一、（一）数据调度情况: counts over the applications submitted in the month."""

    applications: int = 0
    conditional: int = 0
    unconditional: int = 0
    reviewed: int = 0
    unreviewed: int = 0
    provider_decisions: int = 0
    approved: int = 0
    rejected: int = 0
    undecided: int = 0
    returned: int = 0  # conditional, sent back by the provider (退回补正)
    withdrawn: int = 0  # any share type, withdrawn by the applicant or voided (撤回/作废)

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def dispatch_counts(records: Iterable[ApplicationRecord]) -> Dispatch:
    """Counts over (as-of views of) the month's applications."""
    n = cond = reviewed = unreviewed = approved = rejected = undecided = returned = withdrawn = 0
    for r in records:
        n += 1
        withdrawn += r.decision == WITHDRAWN
        if r.share_type != CONDITIONAL:
            continue
        cond += 1
        if r.review_status == REVIEW_PENDING:
            unreviewed += 1
        else:
            reviewed += 1
        if r.decision == APPROVED:
            approved += 1
        elif r.decision == REJECTED:
            rejected += 1
        elif r.decision == RETURNED:
            returned += 1
        elif r.decision == WITHDRAWN:
            pass
        elif r.review_status == PASSED:
            undecided += 1
    return Dispatch(
        applications=n,
        conditional=cond,
        unconditional=n - cond,
        reviewed=reviewed,
        unreviewed=unreviewed,
        provider_decisions=approved + rejected,
        approved=approved,
        rejected=rejected,
        undecided=undecided,
        returned=returned,
        withdrawn=withdrawn,
    )
