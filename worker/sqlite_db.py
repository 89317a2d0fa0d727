"""Opening SQLite files shared by several worker processes (store, feed state)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

BUSY_TIMEOUT_S = 30.0


def open_shared(path: Path, schema: str, busy_timeout: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """A connection in WAL mode with ``schema`` applied, tolerant of processes opening it at once.

    Switching to WAL and applying a schema need a lock that a busy handler does not always
    wait for, so two workers starting together retry here instead of failing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(schema)
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                conn.close()
                raise
            time.sleep(0.05)
    # WAL + NORMAL survives a crashed process; only an OS crash can lose the last commits.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn
