"""Upgrading a SqliteStore file written by an earlier version, before mappings/sqlite.sql runs.

The schema file makes what is missing (CREATE ... IF NOT EXISTS); what it cannot express,
a column added to a table that exists or a trigger whose body changed, is done here, once,
by the version in ``PRAGMA user_version``. Each step runs in one write transaction that
also sets the version, so two processes opening an old store at once upgrade it once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

# The user_version mappings/sqlite.sql sets.
VERSION = 2


def _to_2(conn: sqlite3.Connection) -> None:
    """article_dates gains is_copy, so search hides near-copies in the ranking's own join
    instead of testing every match against the set of copies."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(article_dates)")}
    if not columns or "is_copy" in columns:
        return  # made before article_dates existed: sqlite.sql creates and fills it whole
    conn.execute("ALTER TABLE article_dates ADD COLUMN is_copy INTEGER NOT NULL DEFAULT 0")
    # Through articles_duplicate_of: the copies' rowids, never the wide rows.
    conn.execute("UPDATE article_dates SET is_copy = 1 WHERE rowid IN "
                 "(SELECT rowid FROM articles WHERE duplicate_of IS NOT NULL)")
    # sqlite.sql makes them again with the bodies that keep is_copy.
    conn.execute("DROP TRIGGER IF EXISTS article_dates_insert")
    conn.execute("DROP TRIGGER IF EXISTS article_dates_update")


STEPS: dict[int, Callable[[sqlite3.Connection], None]] = {2: _to_2}


def version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def upgrade(conn: sqlite3.Connection) -> None:
    """Every step above the file's version; a new, empty file (version 0, no tables) needs none."""
    if version(conn) >= VERSION or not _has_articles_table(conn):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        start = version(conn)  # read again under the lock: another process may have upgraded it
        for number in sorted(n for n in STEPS if n > start):
            STEPS[number](conn)
        conn.execute(f"PRAGMA user_version = {VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _has_articles_table(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'articles'").fetchone() is not None
