"""Per-feed state and the ledger of items already taken, kept durably in SQLite."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from ..models import utc_now
from .errors import FeedStateError
from ..sqlite_db import open_shared
from ..store.resources import mapping_text


class FeedState(BaseModel):
    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_status: int | None = None
    last_polled: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_problem: str | None = None  # a non-fatal note: bozo feed, summary fallback
    consecutive_errors: int = 0
    next_poll: datetime | None = None
    items_seen: int = 0
    retired: bool = False
    title: str | None = None
    # Hash of the last 200 body: servers that ignore conditional GET cost no parsing when unchanged.
    body_hash: str | None = None

    def is_due(self, now: datetime) -> bool:
        return not self.retired and (self.next_poll is None or self.next_poll <= now)


class FeedStateStore:
    """State per feed URL plus the item ledger; safe for several processes on one host."""

    def __init__(self, path: Path, mappings_dir: Path):
        self.path = Path(path)
        # Read-only var/ and no feed polled yet: an empty state, so `feeds list` still lists.
        self.conn = open_shared(self.path, mapping_text(mappings_dir, "feeds.sql"), empty_if_missing=True)
        self.read_only = bool(self.conn.execute("PRAGMA query_only").fetchone()[0])

    def _writable(self) -> None:
        if self.read_only:
            raise FeedStateError(f"feed state {self.path} is read-only here (the file or its folder cannot be written): "
                                 "listing works; polling must record what it has seen, so make it writable or point "
                                 "NEWSWORKER_DATA_DIR elsewhere")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._writable()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- feed state -------------------------------------------------------------------

    def get(self, url: str, model: type[FeedState] = FeedState) -> FeedState:
        """``model``: a FeedState with more fields (a sitemap's), read back whole."""
        row = self.conn.execute("SELECT state FROM feed_state WHERE url = ?", (url,)).fetchone()
        return model.model_validate_json(row[0]) if row else model(url=url)

    def all(self, model: type[FeedState] = FeedState) -> dict[str, FeedState]:
        return {url: model.model_validate_json(s) for url, s in self.conn.execute("SELECT url, state FROM feed_state")}

    def put(self, state: FeedState) -> None:
        self._writable()
        self.conn.execute(
            "INSERT INTO feed_state (url, state) VALUES (?, ?) ON CONFLICT (url) DO UPDATE SET state = excluded.state",
            (state.url, state.model_dump_json()),
        )

    def rename(self, old: str, new: str) -> None:
        with self._transaction() as conn:
            state = self.get(old).model_copy(update={"url": new})
            conn.execute("DELETE FROM feed_state WHERE url = ?", (old,))
            conn.execute("INSERT OR REPLACE INTO feed_state (url, state) VALUES (?, ?)", (new, state.model_dump_json()))

    def owe(self, url: str, count: int) -> None:
        """``count`` pages listed by the sitemap at ``url`` are to be fetched again (their fetch
        failed in a way worth retrying): its next poll reads it whole, not conditionally."""
        with self._transaction() as conn:
            row = conn.execute("SELECT state FROM feed_state WHERE url = ?", (url,)).fetchone()
            data = json.loads(row[0]) if row else {"url": url}
            data["deferred"] = int(data.get("deferred") or 0) + count
            conn.execute("INSERT OR REPLACE INTO feed_state (url, state) VALUES (?, ?)", (url, json.dumps(data)))

    def forget(self, url: str) -> None:
        self._writable()
        self.conn.execute("DELETE FROM feed_state WHERE url = ?", (url,))

    def reserve_due(self, urls: Sequence[str], now: datetime, hold_until: dict[str, datetime]) -> list[str]:
        """Of ``urls``, those due now; their next poll moves to ``hold_until`` so a second
        scheduler tick does not enqueue them again while the first poll is queued."""
        due = []
        with self._transaction():
            for url in urls:
                state = self.get(url)
                if not state.is_due(now):
                    continue
                self.put(state.model_copy(update={"next_poll": hold_until[url]}))
                due.append(url)
        return due

    # -- item ledger ------------------------------------------------------------------

    def claim(self, keys: Sequence[str], feed_url: str, lease_seconds: float) -> bool:
        """Take an item for processing unless any of its keys is done or leased to another."""
        return self.claim_many([keys], feed_url, lease_seconds) == [True]

    def claim_many(self, items: Sequence[Sequence[str]], feed_url: str, lease_seconds: float) -> list[bool]:
        """``claim`` for every item of a poll in one transaction; one answer per item."""
        now = time.time()
        taken: list[bool] = []
        with self._transaction() as conn:
            for keys in items:
                marks = ",".join("?" * len(keys))
                rows = conn.execute(f"SELECT status, lease_until FROM seen_items WHERE key IN ({marks})", list(keys)).fetchall()
                if any(status == "done" or (lease or 0) > now for status, lease in rows):
                    taken.append(False)
                    continue
                conn.executemany(
                    "INSERT INTO seen_items (key, status, lease_until, feed_url, first_seen) VALUES (?, 'pending', ?, ?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET status = 'pending', lease_until = excluded.lease_until",
                    [(k, now + lease_seconds, feed_url, utc_now().isoformat()) for k in keys],
                )
                taken.append(True)
        return taken

    def is_taken(self, keys: Sequence[str]) -> bool:
        """Whether ``claim`` would refuse the item: a key is done, or leased and the lease holds."""
        marks = ",".join("?" * len(keys))
        row = self.conn.execute(
            f"SELECT 1 FROM seen_items WHERE key IN ({marks}) AND (status = 'done' OR lease_until > ?) LIMIT 1",
            [*keys, time.time()],
        )
        return row.fetchone() is not None

    def holders(self, keys: Sequence[str]) -> list[tuple[str, str, str | None, bool]]:
        """Who holds these keys: (key, status, feed URL, whether a lease holds now); says why
        ``claim`` refused an item."""
        marks = ",".join("?" * len(keys))
        rows = self.conn.execute(f"SELECT key, status, feed_url, lease_until FROM seen_items WHERE key IN ({marks})", list(keys))
        now = time.time()
        return [(key, status, feed_url, (lease or 0) > now) for key, status, feed_url, lease in rows]

    def complete(self, keys: Sequence[str]) -> None:
        self._set_status(keys, "done")

    def complete_many(self, items: Sequence[Sequence[str]]) -> None:
        with self._transaction():
            for keys in items:
                self._set_status(keys, "done")

    def release(self, keys: Sequence[str]) -> None:
        """Give an item back (its processing failed in a way worth retrying)."""
        self._writable()
        marks = ",".join("?" * len(keys))
        self.conn.execute(f"DELETE FROM seen_items WHERE status = 'pending' AND key IN ({marks})", list(keys))

    def _set_status(self, keys: Sequence[str], status: str) -> None:
        self._writable()
        marks = ",".join("?" * len(keys))
        self.conn.execute(
            f"UPDATE seen_items SET status = ?, lease_until = NULL WHERE key IN ({marks})", [status, *keys]
        )

    def mark_done(self, keys: Sequence[str], feed_url: str) -> None:
        """Keys done without a claim (a page a feed brought, known by its URL from now on)."""
        self._writable()
        self.conn.executemany(
            "INSERT INTO seen_items (key, status, lease_until, feed_url, first_seen) VALUES (?, 'done', NULL, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET status = 'done', lease_until = NULL",
            [(k, feed_url, utc_now().isoformat()) for k in keys],
        )

    def done_since(self, key: str) -> datetime | None:
        """When ``key`` was first seen, if it is done."""
        row = self.conn.execute("SELECT first_seen FROM seen_items WHERE key = ? AND status = 'done'", (key,)).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def seen_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM seen_items WHERE status = 'done'").fetchone()[0]
