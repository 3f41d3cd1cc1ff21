"""SQLite-flavoured SQL on PostgreSQL, for the code that shares the embedded store's SQL:
the record tables (``index.store.tables``), the enrichers' schema and writes
(index.companies), their read helpers through ``Snapshot.query``, and the duplicate
check of ``index.store.additions``.

Translated: ``?`` placeholders, ``INSERT OR REPLACE`` (an upsert on the table's unique key
that the inserted columns cover), ``INSERT OR IGNORE``, and in schemas ``INTEGER PRIMARY KEY
AUTOINCREMENT``, ``WITHOUT ROWID``, ``REAL`` and ``BLOB``; a bare lower-case ``end`` column is quoted.
Values: bools and numpy scalars become
Python ints and floats, which psycopg can send. Anything else is passed through unchanged.

Usage::

    from index.store.cluster.sqlcompat import SqliteCompat
    db = SqliteCompat(psycopg_connection)
    db.executescript(enricher.schema)
    db.execute("INSERT OR REPLACE INTO t(a, b) VALUES (?, ?)", (1, True))
    rows = db.execute("SELECT a FROM t WHERE b = ?", (1,)).fetchall()
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import psycopg

_INSERT_RE = re.compile(r"^\s*INSERT\s+OR\s+(REPLACE|IGNORE)\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE)
_SCHEMA_RULES = (
    (re.compile(r"INTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT", re.IGNORECASE), "BIGSERIAL PRIMARY KEY"),
    (re.compile(r"\)\s*WITHOUT\s+ROWID", re.IGNORECASE), ")"),
    (re.compile(r"\bREAL\b", re.IGNORECASE), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"),
)


_QUOTED_RE = re.compile(r"('(?:[^']|'')*'|\"[^\"]*\")")
# SQLite lets ``end`` be a bare column name; PostgreSQL reserves it. Our SQL writes keywords in
# upper case, so a lower-case bare ``end`` is always the column.
_BARE_END_RE = re.compile(r"\bend\b")


def _outside_quotes(sql: str, change: Callable[[str], str]) -> str:
    parts = _QUOTED_RE.split(sql)
    return "".join(part if i % 2 else change(part) for i, part in enumerate(parts))


def _identifiers(segment: str) -> str:
    return _BARE_END_RE.sub('"end"', segment)


def placeholders(sql: str) -> str:
    """``?`` → ``%s``, ``%`` → ``%%`` (outside quotes too: psycopg reads every ``%``) and a
    bare ``end`` column quoted."""
    parts = _QUOTED_RE.split(sql)
    out = []
    for i, part in enumerate(parts):
        if not i % 2:
            part = _identifiers(part).replace("?", "\0")
        out.append(part.replace("%", "%%").replace("\0", "%s"))
    return "".join(out)


def translate_schema(script: str) -> list[str]:
    """A SQLite schema script as PostgreSQL statements."""
    if re.search(r"CREATE\s+VIRTUAL\s+TABLE", script, re.IGNORECASE):
        raise ValueError("virtual tables have no PostgreSQL equivalent")
    for pattern, replacement in _SCHEMA_RULES:
        script = pattern.sub(replacement, script)
    script = _outside_quotes(script, _identifiers)
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def plain_value(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


class SqliteCompat:
    """A psycopg connection that takes the SQLite dialect our shared code speaks."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self._keys: dict[str, list[list[str]]] = {}

    def _unique_keys(self, table: str) -> list[list[str]]:
        if table not in self._keys:
            rows = self.conn.execute(
                "SELECT i.indexrelid, a.attname FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = %s::regclass AND (i.indisprimary OR i.indisunique) "
                "ORDER BY i.indisprimary DESC, i.indexrelid", (table,)).fetchall()
            keys: dict[int, list[str]] = {}
            for index_id, column in rows:
                keys.setdefault(index_id, []).append(column)
            self._keys[table] = list(keys.values())
        return self._keys[table]

    def translate(self, sql: str) -> str:
        match = _INSERT_RE.match(sql)
        if match:
            verb, table, columns = match.group(1).upper(), match.group(2), match.group(3)
            names = [c.strip().strip('"') for c in columns.split(",")]
            sql = "INSERT INTO" + sql[match.start(2) - 1:]
            if verb == "IGNORE":
                sql += " ON CONFLICT DO NOTHING"
            else:
                key = next((k for k in self._unique_keys(table) if set(k) <= set(names)), None)
                if key is None:
                    raise ValueError(f"INSERT OR REPLACE into {table}: no unique key among {names}")
                rest = [n for n in names if n not in key]
                quoted = ", ".join(f'"{k}"' for k in key)
                action = ("DO UPDATE SET " + ", ".join(f'"{n}" = EXCLUDED."{n}"' for n in rest)) if rest \
                    else "DO NOTHING"
                sql += f" ON CONFLICT ({quoted}) {action}"
        return placeholders(sql)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        return self.conn.execute(self.translate(sql), [plain_value(p) for p in params])

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [[plain_value(v) for v in row] for row in rows]
        if batch:
            with self.conn.cursor() as cursor:
                cursor.executemany(self.translate(sql), batch)

    def executescript(self, script: str) -> None:
        for statement in translate_schema(script):
            self.conn.execute(statement)
