"""Loading the records of a window of months for the history, in one pass over the indexes:
the same superset the monthly report loads for one month (report_queries.span_records), over
the whole window at once, so that each month of the history is tallied from exactly the records
its report would read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine

from slamon.adapters.store.report_queries import span_records
from slamon.core.periods import Month
from slamon.core.records import ApplicationRecord
from slamon.core.vocabulary import CONDITIONAL


def window_records(
    engine: Engine,
    first: Month,
    last: Month,
    now: dt.datetime,
    tz: dt.tzinfo,
    share_types: Sequence[str] = (CONDITIONAL,),
) -> list[ApplicationRecord]:
    """A superset of the records the months ``first``–``last`` depend on, each as of its end
    (``now`` for a month still running)."""
    until = min(last.end(tz), now)
    with engine.connect() as conn:
        return span_records(conn, first.start(tz), until, until, share_types)
