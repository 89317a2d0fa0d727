"""Opening SQLite files shared by several worker processes (store, feed state)."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 30.0


def open_shared(path: Path, schema: str, busy_timeout: float = BUSY_TIMEOUT_S, *, empty_if_missing: bool = False,
                upgrade: Callable[[sqlite3.Connection], None] | None = None) -> sqlite3.Connection:
    """A connection in WAL mode with ``schema`` applied, tolerant of processes opening it at once.

    Switching to WAL and applying a schema need a lock that a busy handler does not always
    wait for, so two workers starting together retry here instead of failing.

    Where the file (or its folder) cannot be written, e.g. a read-only ``var/``, it is opened
    read-only, so reading commands still work and writes fail as the store's fault ("attempt
    to write a readonly database"). A missing file that cannot be created is an empty read-only
    database when ``empty_if_missing`` (feed state: no feed polled yet), else the error.
    ``upgrade`` brings a file of an older schema version up to date before ``schema`` runs
    (a read-only file is left as it is).
    """
    try:
        return _open_writable(path, schema, busy_timeout, upgrade)
    except (sqlite3.OperationalError, OSError):
        if not _cannot_write(path):
            raise
        if path.is_file():
            return _open_read_only(path, busy_timeout)
        if empty_if_missing:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            conn.executescript(schema)
            conn.execute("PRAGMA query_only = ON")
            return conn
        raise


def _cannot_write(path: Path) -> bool:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    # WAL writes -wal and -shm beside the file: its folder must be writable too.
    return not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK))


def _open_read_only(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """``mode=ro``; where SQLite cannot set up WAL's shared memory for it (no -shm file and a
    folder it cannot write), ``immutable=1``, safe because nothing can write there either and
    no -wal file holds commits that are not in the main file yet."""
    wal = Path(f"{path}-wal")
    tries = ["mode=ro"] + ([] if wal.exists() and wal.stat().st_size else ["immutable=1"])
    last: sqlite3.Error | None = None
    for query in tries:
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True, isolation_level=None,
                                   timeout=busy_timeout, check_same_thread=False)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute("PRAGMA query_only = ON")
            log.info("%s cannot be written: opened read-only (%s)", path, query)
            return conn
        except sqlite3.Error as exc:
            last = exc
    raise sqlite3.OperationalError(f"{path} is read-only and could not be opened for reading either: {last}")


def _open_writable(path: Path, schema: str, busy_timeout: float,
                   upgrade: Callable[[sqlite3.Connection], None] | None) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            if upgrade is not None:
                upgrade(conn)
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
