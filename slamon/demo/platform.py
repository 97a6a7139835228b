"""A realistic month on the platform, for ``slamon demo``, tests and benchmarks.

:func:`build_demo_platform` writes a SQLite database shaped like the platform's own tables (column
names are NOT ours: ``apply_no``, ``provide_org_name``, ``approve_result`` …, naive local-time
stamps) and returns the SQLAlchemy URL and the SELECT that maps it onto the record's fields.
The default month mirrors the December 2024 monthly report: 627 applications, 397 conditional and
230 unconditional; all 397 reviewed; 363 answered (336 approved, 27 rejected), 34 undecided at
month end. 省公共资源交易中心 leaves four applications for "工程类_招标项目" and
"工程类-中标结果公告" unanswered past their deadline; 省住房城乡建设厅 and 省自然资源厅 answer one
or two applications late by a few working days; 省水利厅、省残联、省中医药管理局 answer on the
day of receipt. 省自然资源厅 has no contact on purpose (see :func:`demo_contacts`).
"""

from __future__ import annotations

import datetime as dt
import random
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, DateTime, MetaData, String, Table, bindparam, create_engine, select
from sqlalchemy.dialects import sqlite

from slamon.demo.catalog import APPLICANTS, CATALOG, FAST, NO_CONTACT, PUB, PUB_RESOURCES

DEMO_TZ = ZoneInfo("Asia/Shanghai")
TABLE = "t_share_apply"

_META = MetaData()
_TS = DateTime().with_variant(
    sqlite.DATETIME(
        storage_format="%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d",
        regexp=r"(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)",
    ),
    "sqlite",
)


def platform_table(name: str = TABLE, metadata: MetaData | None = None) -> Table:
    """The platform-like table (its own column names, naive local-time stamps)."""
    metadata = metadata or MetaData()
    return Table(
        name,
        metadata,
        Column("apply_no", String(32), primary_key=True),
        Column("apply_org_name", String(100), nullable=False),
        Column("provide_org_name", String(100), nullable=False),
        Column("res_name", String(200), nullable=False),
        Column("share_mode", String(16), nullable=False),
        Column("apply_time", _TS, nullable=False),
        Column("audit_state", String(16)),
        Column("audit_time", _TS),
        Column("receive_time", _TS),
        Column("approve_result", String(16)),
        Column("approve_time", _TS),
        Column("apply_area", String(50)),
        Column("provide_area", String(50)),
        Column("modify_time", _TS, nullable=False, index=True),
    )


def platform_query(table: str = TABLE) -> str:
    """The configured SELECT for the platform table: aliases are the record's field names."""
    return (
        "SELECT apply_no AS application_id, apply_org_name AS applicant_dept,\n"
        "       provide_org_name AS provider_dept, res_name AS resource_name,\n"
        "       share_mode AS share_type, apply_time AS submitted_at,\n"
        "       audit_state AS review_status, audit_time AS reviewed_at,\n"
        "       receive_time AS received_at, approve_result AS decision,\n"
        "       approve_time AS decided_at, apply_area AS applicant_region,\n"
        "       provide_area AS provider_region, modify_time AS updated_at\n"
        f"FROM {table}\n"
        "WHERE modify_time > :since"
    )


@lru_cache(maxsize=8)
def _working_days(year: int, month: int) -> tuple[dt.date, ...]:
    from slamon.core.calendar import build_calendar

    cal = build_calendar(first_year=year - 1, last_year=year + 1)
    first = dt.date(year, month, 1)
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return tuple(
        first + dt.timedelta(days=i)
        for i in range((nxt - first).days)
        if cal.is_working_day(first + dt.timedelta(days=i))
    )


def _month(month: str) -> tuple[int, int]:
    y, m = month.split("-")
    return int(y), int(m)


def _at(rng: random.Random, day: dt.date, minute: int) -> dt.datetime:
    """``minute`` minutes after 09:00 on ``day``, at a random second (naive local time)."""
    return dt.datetime.combine(day, dt.time(9)) + dt.timedelta(
        minutes=minute, seconds=rng.randrange(60)
    )


class _Maker:
    """Builds one application's row: the workflow's timestamps on working days, in office hours."""

    def __init__(self, rng: random.Random, days: tuple[dt.date, ...]) -> None:
        self.rng, self.days = rng, days
        self.rows: list[dict[str, Any]] = []
        self.by_provider: dict[str, list[tuple[str, str, str]]] = {}
        for prov, res, cond, _w, area in CATALOG:
            if cond:
                self.by_provider.setdefault(prov, []).append((prov, res, area))
        self.cond_pool = [(p, r, a) for p, r, c, _w, a in CATALOG if c and _w]
        self.cond_weights = [w for _p, _r, c, w, _a in CATALOG if c and w]
        self.uncond_pool = [(p, r, a) for p, r, c, _w, a in CATALOG if not c]
        self.uncond_weights = [w for _p, _r, c, w, _a in CATALOG if not c]

    def applicant(self, provider: str) -> tuple[str, str]:
        while True:
            name, area, _w = self.rng.choices(APPLICANTS, [w for *_x, w in APPLICANTS])[0]
            if name != provider:
                return name, area

    def pick(self, provider: str | None = None) -> tuple[str, str, str]:
        if provider is None:
            return self.rng.choices(self.cond_pool, self.cond_weights)[0]
        return self.rng.choice(self.by_provider[provider])

    def conditional(
        self,
        res: tuple[str, str, str],
        recv: int,
        k: int | None,
        result: str | None = None,
        r: int | None = None,
    ) -> None:
        """Received on working day ``recv`` (index in the month); answered ``k`` working days
        later (None: still undecided) with ``result`` ('通过'/'签发'/'驳回')."""
        rng, days = self.rng, self.days
        last = len(days) - 1
        recv = max(0, min(recv, last - (k or 0)))
        r = rng.choice((0, 1, 1)) if r is None else r
        r = min(r, recv)
        if r == 0:
            m0 = rng.randint(0, 300)
            m1 = m0 + rng.randint(5, 60)
        else:
            m0, m1 = rng.randint(0, 480), rng.randint(0, 360)
        submitted = _at(rng, days[recv - r], m0)
        reviewed = _at(rng, days[recv], m1)
        received = reviewed + dt.timedelta(minutes=rng.randint(1, 5))
        decided = None
        if k is not None:
            if k == 0:
                decided = received + dt.timedelta(minutes=rng.randint(5, 120))
            else:
                decided = _at(rng, days[recv + k], rng.randint(0, 480))
        prov, name, area = res
        if prov == "省人力资源社会保障厅" and rng.random() < 0.2:
            prov = "省人社厅"  # the platform's short form; demo_aliases maps it back
        applicant, app_area = self.applicant(res[0])
        outcome = rng.choice((None, "待审批")) if k is None else (result or "通过")
        self.rows.append(
            {
                "apply_org_name": applicant,
                "provide_org_name": prov,
                "res_name": name,
                "share_mode": "有条件共享",
                "apply_time": submitted,
                "audit_state": "通过",
                "audit_time": reviewed,
                "receive_time": received,
                "approve_result": outcome,
                "approve_time": decided,
                "apply_area": app_area,
                "provide_area": area,
                "modify_time": decided or received,
            }
        )

    def answered(self, res: tuple[str, str, str], k: int, result: str | None = None) -> None:
        recv = self.rng.randint(1, len(self.days) - 1 - k)
        if result is None:
            result = "签发" if self.rng.random() < 0.1 else "通过"
        self.conditional(res, recv, k, result)

    def unconditional(self) -> None:
        rng = self.rng
        prov, name, area = rng.choices(self.uncond_pool, self.uncond_weights)[0]
        applicant, app_area = self.applicant(prov)
        submitted = _at(rng, rng.choice(self.days), rng.randint(0, 500))
        decided = submitted + dt.timedelta(minutes=rng.randint(1, 3))
        self.rows.append(
            {
                "apply_org_name": applicant,
                "provide_org_name": prov,
                "res_name": name,
                "share_mode": "无条件共享",
                "apply_time": submitted,
                "audit_state": None,
                "audit_time": None,
                "receive_time": submitted,
                "approve_result": "通过",
                "approve_time": decided,
                "apply_area": app_area,
                "provide_area": area,
                "modify_time": decided,
            }
        )


def _normal_k(rng: random.Random) -> int:
    return rng.choices((1, 2, 3, 4), (40, 30, 20, 10))[0]


def demo_rows(month: str = "2024-12", seed: int = 20241231) -> list[dict[str, Any]]:
    """The month's applications as platform rows, ordered and numbered by submission time."""
    year, mon = _month(month)
    days = _working_days(year, mon)
    last = len(days) - 1
    mk = _Maker(random.Random(seed), days)
    rng = mk.rng
    # 省公共资源交易中心: four unanswered past the deadline, two answered in time.
    for i, recv in enumerate((1, 3, 6, 9)):
        mk.conditional((PUB, PUB_RESOURCES[i % 2], "省级"), recv, None)
    for i in range(2):
        mk.answered((PUB, PUB_RESOURCES[i], "省级"), rng.randint(1, 3))
    # Answered late by a few working days (the rule allows 5).
    mk.conditional(mk.pick("省住房城乡建设厅"), 2, 7, "通过")
    mk.conditional(mk.pick("省住房城乡建设厅"), 8, 8, "通过")
    mk.conditional(mk.pick(NO_CONTACT), 5, 7, "通过")
    # The fastest: answered on the day of receipt.
    for prov, count in FAST:
        for _ in range(count):
            mk.answered(mk.pick(prov), 0)
    # Received in the last days of the month, still undecided (deadline after month end).
    mk.conditional(mk.pick(NO_CONTACT), last - 4, None)
    for i in range(29):
        mk.conditional(mk.pick(), last - 4 if i < 2 else rng.randint(last - 3, last), None)
    for _ in range(27):
        mk.answered(mk.pick(), _normal_k(rng), "驳回")
    approved_so_far = 2 + 3 + sum(c for _p, c in FAST)
    for _ in range(336 - approved_so_far):
        mk.answered(mk.pick(), _normal_k(rng))
    for _ in range(230):
        mk.unconditional()
    rows = sorted(mk.rows, key=lambda r: (r["apply_time"], r["res_name"]))
    for n, row in enumerate(rows, start=1):
        row["apply_no"] = f"SQ{year:04d}{mon:02d}{n:05d}"
    return rows


def _insert(url: str, rows: list[dict[str, Any]], table: str) -> None:
    engine = create_engine(url)
    try:
        t = platform_table(table)
        with engine.begin() as conn:
            t.drop(conn, checkfirst=True)
            t.create(conn)
            for i in range(0, len(rows), 5000):
                conn.execute(t.insert(), rows[i : i + 5000])
    finally:
        engine.dispose()


def build_demo_platform(
    path: Path, month: str = "2024-12", seed: int = 20241231
) -> tuple[str, str]:
    """(Re)create the demo platform database at ``path``; return (SQLAlchemy URL, query)."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-journal", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    _insert(url, demo_rows(month, seed), TABLE)
    return url, platform_query(TABLE)


def build_platform_table(
    url: str, n: int, seed: int = 1, table: str = TABLE, year: int = 2024
) -> str:
    """Create (or recreate) a platform table of ``n`` applications over ``year``; return the query.

    For benchmarks: bulk insert, works on SQLite, PostgreSQL and MySQL/MariaDB.
    """
    rng = random.Random(seed)
    days = tuple(d for m in range(1, 13) for d in _working_days(year, m))
    mk = _Maker(rng, days)
    for _ in range(n):
        if rng.random() < 0.37:
            mk.unconditional()
        elif rng.random() < 0.03:
            mk.conditional(mk.pick(), rng.randint(len(days) - 5, len(days) - 1), None)
        else:
            mk.answered(
                mk.pick(),
                rng.choice((0, 1, 2, 3, 4, 4, 5, 6)),
                "驳回" if rng.random() < 0.07 else None,
            )
    for i, row in enumerate(mk.rows, start=1):
        row["apply_no"] = f"BM{year:04d}{i:08d}"
    _insert(url, mk.rows, table)
    return platform_query(table)


def mutate_demo_platform(
    url: str, now: dt.datetime, n: int, seed: int = 1, table: str = TABLE, tz: dt.tzinfo = DEMO_TZ
) -> list[str]:
    """Answer (or change) ``n`` applications at ``now`` and bump their modify_time.

    Undecided conditional applications are answered first (通过 or 驳回); then answered ones flip
    between 通过 and 驳回. Returns the changed application numbers.
    """
    rng = random.Random(seed)
    stamp = now.astimezone(tz).replace(tzinfo=None, microsecond=0)
    t = platform_table(table)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            cond = t.c.share_mode == "有条件共享"
            open_q = (
                select(t.c.apply_no)
                .where(cond, t.c.audit_state == "通过", t.c.approve_time.is_(None))
                .order_by(t.c.apply_no)
            )
            pending = list(conn.execute(open_q).scalars())
            chosen = rng.sample(pending, min(n, len(pending)))
            updates = [{"b_no": no, "b_res": rng.choice(("通过", "通过", "驳回"))} for no in chosen]
            if len(chosen) < n:
                done_q = (
                    select(t.c.apply_no, t.c.approve_result)
                    .where(cond, t.c.approve_time.is_not(None))
                    .order_by(t.c.apply_no)
                )
                done = list(conn.execute(done_q))
                for no, res in rng.sample(done, min(n - len(chosen), len(done))):
                    updates.append({"b_no": no, "b_res": "驳回" if res != "驳回" else "通过"})
            if updates:
                conn.execute(
                    t.update()
                    .where(t.c.apply_no == bindparam("b_no"))
                    .values(
                        approve_result=bindparam("b_res"), approve_time=stamp, modify_time=stamp
                    ),
                    updates,
                )
    finally:
        engine.dispose()
    return [u["b_no"] for u in updates]


def demo_now(month: str = "2024-12") -> dt.datetime:
    """The fixed moment the demo runs at: 10:00 on the first working day after the month."""
    year, mon = _month(month)
    nxt_year, nxt_mon = year + mon // 12, mon % 12 + 1
    return dt.datetime.combine(_working_days(nxt_year, nxt_mon)[0], dt.time(10), DEMO_TZ)
