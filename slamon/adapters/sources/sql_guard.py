"""What slamon checks in a configured query before the database sees it — and what it leaves to the
database.

Read-only is enforced by the database session (see :mod:`slamon.adapters.sources.sql_session`):
PostgreSQL runs the query as one prepared statement in a read-only session, MariaDB/MySQL in a
read-only session without multi-statements. No lexer guesses at quoting here (each dialect quotes
differently, and a guess is what let ``'\\' …; COMMIT; DELETE …`` through). The few textual checks
left refuse constructs that a read-only session does not stop, wherever they appear — even inside
a string literal, where refusing costs nothing:

- MySQL versioned comments ``/*! … */`` and ``/*M! … */`` (they run as code: ``SET STATEMENT
  tx_read_only=0 FOR …``, ``INTO OUTFILE``);
- ``INTO OUTFILE`` / ``INTO DUMPFILE`` (writes a file on the database server);
- ``dblink`` and Unicode-escaped identifiers ``U&"…"`` (dblink opens a second connection that is
  not read-only; a ``U&`` identifier could spell its name).
"""

from __future__ import annotations

import re

from slamon.core.errors import SourceError

_FIRST_WORD = re.compile(r"[A-Za-z_]+")
_VERSIONED = re.compile(r"/\*M?!", re.IGNORECASE)
_GAP = r"(?:\s|/\*.*?\*/|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$))+"
_INTO_FILE = re.compile(rf"\bINTO{_GAP}(OUTFILE|DUMPFILE)\b", re.IGNORECASE | re.DOTALL)
_DBLINK = re.compile(r"dblink", re.IGNORECASE)
_UNICODE_IDENT = re.compile(r"\bU&\"", re.IGNORECASE)

# Database messages that mean "the session refused to write", turned into one Chinese sentence.
_REFUSALS = (
    (
        re.compile(r"multiple commands", re.IGNORECASE),
        "查询只能是一条 SELECT 语句，数据库拒绝了其后的语句",
    ),
    (
        re.compile(r"read[- ]only transaction", re.IGNORECASE),
        "只读会话拒绝了写操作（数据源查询不得修改平台数据）",
    ),
)


def _skip_leading_comments(query: str) -> str:
    """The query after leading blanks, parentheses and comments (only the prefix is looked at)."""
    rest = query
    while True:
        rest = rest.lstrip(" \t\r\n(")
        if rest.startswith("--"):
            newline = rest.find("\n")
            rest = "" if newline < 0 else rest[newline + 1 :]
        elif rest.startswith("/*"):
            end = rest.find("*/", 2)
            if end < 0:
                raise SourceError("数据源查询中有未闭合的注释")
            rest = rest[end + 2 :]
        else:
            return rest


def check_query(query: str) -> str:
    """Validate a configured query; return it without a trailing ';'. Raises SourceError."""
    if not query or not query.strip():
        raise SourceError("数据源查询为空：请在 source.query 中填写一条 SELECT 语句")
    if _VERSIONED.search(query):
        raise SourceError("数据源查询不得包含 MySQL 版本注释 /*! … */（其中的内容会作为语句执行）")
    start = _skip_leading_comments(query)
    m = _FIRST_WORD.match(start)
    first = m.group(0).upper() if m else ""
    if first not in ("SELECT", "WITH"):
        shown = first or start.strip()[:20]
        raise SourceError(f"数据源查询只能是 SELECT（或 WITH … SELECT）语句，当前以 {shown} 开头")
    into = _INTO_FILE.search(query)
    if into:
        raise SourceError(
            f"数据源查询不得包含 INTO {into.group(1).upper()}（会在数据库服务器上写文件）"
        )
    if _DBLINK.search(query) or _UNICODE_IDENT.search(query):
        raise SourceError(
            '数据源查询不得使用 dblink 或 U&"…" 转义标识符（dblink 会另开一个不受只读限制的连接）'
        )
    return query.strip().rstrip(";").rstrip()


def refusal_reason(message: str) -> str | None:
    """A Chinese sentence when a database error means the session refused the query, else None."""
    for pattern, sentence in _REFUSALS:
        if pattern.search(message):
            return sentence
    return None
