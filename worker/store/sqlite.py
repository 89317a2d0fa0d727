"""SqliteStore: the embedded default, one file, FTS5 for words, tables for the rest."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError, TransientStoreError
from ..duplicates import Signature
from ..models import (Article, EventQuery, EventRecord, Failure, IndexOutcome, SearchQuery, SearchResult,
                      StoreStats)
from ..rollup import Group, Mention, Window, recompute
from . import sqlite_events as ev
from . import sqlite_query as q
from . import sqlite_schema, sqlite_search
from .base import CANDIDATES, ArticleStore, Chunk, Fingerprint, IndexVersion, IndexVersions, is_unchanged
from ..sqlite_db import open_shared
from .resources import DEFAULT_MAPPINGS_DIR, mapping_text
from .sqlite_generations import Generations, Pointer

BUSY_TIMEOUT_MS = 30_000
RECENT_FAILURES = 10


# What the store's own state causes, not any document: it may pass (space freed, lock released).
TRANSIENT_SQLITE = ("locked", "busy", "disk is full", "disk I/O error", "unable to open", "readonly")


class SqliteStore(ArticleStore):
    """One generation file is live at a time (see sqlite_generations); every connection
    follows the pointer, so a swap made by a reindex in another process is picked up on
    the next operation."""

    kind = "sqlite"

    def __init__(self, path: Path, mappings_dir: Path = DEFAULT_MAPPINGS_DIR):
        self.base = Path(path)
        self.generations = Generations(self.base)
        self.mappings_dir = mappings_dir
        self._conn: sqlite3.Connection | None = None
        self._signature: tuple[int, int] | None = None
        # The generation self._conn writes to: a write is repeated into any other that must have it.
        self._conn_version: int | None = None
        self._targets: dict[int, sqlite3.Connection] = {}

    # -- connection -----------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The live generation's file."""
        return self.generations.path(self.generations.read().live)

    @property
    def conn(self) -> sqlite3.Connection:
        signature = self.generations.signature()
        if self._conn is not None and signature != self._signature:
            self._conn.close()
            self._conn = None
        if self._conn is None:
            # Read before opening: a swap in between is simply seen on the next call.
            self._signature = signature
            self._conn_version = self.generations.read().live
            self._conn = self._connect(self._live_path(self._conn_version))
        return self._conn

    def _live_path(self, live: int | None = None) -> Path:
        live = self.generations.read().live if live is None else live
        path = self.generations.path(live)
        if live != 1 and not path.exists():
            raise StoreError(
                f"the live SQLite generation {path} is missing; `newsworker reindex --rollback` "
                f"restores the previous one, or fix {self.generations.pointer_path}"
            )
        return path

    def _connect(self, path: Path) -> sqlite3.Connection:
        try:
            return open_shared(path, mapping_text(self.mappings_dir, "sqlite.sql"), BUSY_TIMEOUT_MS / 1000,
                               upgrade=sqlite_schema.upgrade)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"cannot open SQLite store {path}: {exc}; check the path and its permissions (NEWSWORKER_SQLITE_PATH)"
            ) from None

    @contextmanager
    def _write(self, conn: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        conn = conn or self.conn
        if conn.execute("PRAGMA query_only").fetchone()[0]:
            # Opened read-only (worker.sqlite_db): nothing will change by retrying.
            raise StoreError(f"SQLite store {self.base} is read-only here (the file or its folder cannot be written): "
                             "searching works; to ingest, make it writable or point NEWSWORKER_DATA_DIR elsewhere")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                # SQLite has already rolled back after some errors (a full disk): rolling back
                # again would only say "cannot rollback" and hide the cause.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if any(word in str(exc) for word in TRANSIENT_SQLITE):
                # Not the documents' fault: the batch is retried, then parked, and feed items
                # stay pending until their articles are stored.
                raise TransientStoreError(f"SQLite store {self.base} cannot write now: {exc}") from None
            raise StoreError(f"SQLite store {self.base}: {exc}") from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        for conn in self._targets.values():
            conn.close()
        self._targets.clear()

    # -- interface ------------------------------------------------------------------

    def setup(self) -> None:
        """The schema is applied when the connection opens; opening is all setup needs."""
        self.conn  # noqa: B018 - opening applies the schema

    def fingerprints(self, ids: Sequence[str]) -> dict[str, Fingerprint]:
        found: dict[str, Fingerprint] = {}
        for chunk in q.chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT id, content_hash, extractor_version FROM articles WHERE id IN ({marks})", chunk
            )
            found.update({r[0]: Fingerprint(content_hash=r[1], extractor_version=r[2]) for r in rows})
        return found

    def upsert(self, articles: Sequence[Article]) -> list[IndexOutcome]:
        outcomes = []
        with self._write() as conn:
            for article in articles:
                outcomes.append(self._upsert_isolated(conn, article))
        written = [a for a, o in zip(articles, outcomes) if o.status != "failed"]
        self._also_written(lambda conn: [self._upsert_isolated(conn, a) for a in written])
        return outcomes

    def _also_written(self, write: Callable[[sqlite3.Connection], object]) -> None:
        """After a committed write: the same write into the generation a reindex is building, and
        into the live one if a swap moved it while we wrote. Looking only after the commit is
        what makes the dual write whole: the reindex marks the generation before it plans its
        chunks, so a write that saw no mark was committed before any chunk was read."""
        pointer = self.generations.read()
        for version in sorted({pointer.live, pointer.building} - {self._conn_version, None}):
            path = self.generations.path(version)
            if not path.exists():  # a build abandoned meanwhile
                continue
            with self._write(self._target(IndexVersion(name=str(path), version=version, articles=0))) as conn:
                write(conn)

    def _upsert_isolated(self, conn: sqlite3.Connection, article: Article) -> IndexOutcome:
        """One article in a savepoint: what SQLite refuses of this document alone (too big, a
        value it cannot hold) fails this one and leaves the rest of the batch; a store-level
        error (disk full, locked) still propagates for the whole batch."""
        conn.execute("SAVEPOINT article")
        try:
            status = self._upsert_one(conn, article)
        except (sqlite3.DataError, sqlite3.IntegrityError, OverflowError) as exc:
            conn.execute("ROLLBACK TO article")
            conn.execute("RELEASE article")
            return IndexOutcome(id=article.id, origin=article.origin, status="failed",
                                reason=f"the SQLite store refused this article: {exc}")
        conn.execute("RELEASE article")
        return IndexOutcome(id=article.id, origin=article.origin, status=status)

    def get(self, article_id: str) -> Article | None:
        row = self.conn.execute("SELECT doc FROM articles WHERE id = ?", (article_id,)).fetchone()
        return Article.model_validate_json(row[0]) if row else None

    def search(self, query: SearchQuery) -> SearchResult:
        try:
            return sqlite_search.search(self.conn, query)
        except sqlite3.OperationalError as exc:
            found = sqlite_schema.version(self.conn)
            if found < sqlite_schema.VERSION:
                # Opened read-only, so the upgrade on open could not run.
                raise StoreError(f"search failed on {self.path}: it was written by an older newsworker (schema "
                                 f"{found}, search needs {sqlite_schema.VERSION}); run any newsworker command "
                                 "where the file can be written once, and it is upgraded in place") from None
            raise StoreError(f"search failed on {self.path}: {exc}") from None

    def record_failures(self, failures: Sequence[Failure]) -> None:
        if not failures:
            return
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO failures (origin, stage, reason, at) VALUES (?, ?, ?, ?)",
                [(f.origin, f.stage, f.reason, q.iso(f.at)) for f in failures],
            )

    def stats(self) -> StoreStats:
        def count(table: str) -> int:
            return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

        last = self.conn.execute("SELECT max(ingested_at) FROM articles").fetchone()[0]
        recent = self.conn.execute(
            "SELECT origin, stage, reason, at FROM failures ORDER BY at DESC, rowid DESC LIMIT ?", (RECENT_FAILURES,)
        ).fetchall()
        return StoreStats(
            kind=self.kind,
            location=str(self.path),
            articles=count("articles"),
            entities=count("entities"),
            figures=count("figures"),
            events=count("events"),
            failures=count("failures"),
            last_ingested_at=q.parse_iso(last),
            recent_failures=[Failure(origin=o, stage=s, reason=r, at=q.parse_iso(a)) for o, s, r, a in recent],
        )

    # -- rebuild: generations beside the live file, swapped by the pointer ---------------

    def iter_articles(self, batch_size: int = 500) -> Iterator[Article]:
        """Every live article from the stored JSON, the same document get() returns.

        A connection of its own pins the generation: a swap while iterating cannot mix
        rows of two files.
        """
        conn = self._connect(self._live_path())
        try:
            last = 0
            while True:
                rows = conn.execute(
                    "SELECT rowid, doc FROM articles WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, batch_size)
                ).fetchall()
                if not rows:
                    return
                for _rowid, doc in rows:
                    yield Article.model_validate_json(doc)
                last = rows[-1][0]
        finally:
            conn.close()

    def versions(self) -> IndexVersions:
        pointer = self.generations.read()
        kept = [self._version(v) for v in self.generations.kept()]
        by_number = {v.version: v for v in kept}
        previous = self.generations.previous()
        return IndexVersions(
            live=by_number.get(pointer.live),
            previous=by_number.get(previous) if previous is not None else None,
            kept=kept,
            building=by_number.get(pointer.building) if pointer.building is not None else None,
        )

    def set_building(self, target: IndexVersion | None) -> None:
        pointer = self.generations.read()
        self.generations.write(dataclasses.replace(pointer, building=target.version if target else None))

    def plan_chunks(self, source: IndexVersion, size: int) -> list[Chunk]:
        conn = self._target(source)
        total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        lows = [r[0] for r in conn.execute(
            "SELECT rowid FROM (SELECT rowid, row_number() OVER (ORDER BY rowid) AS n FROM articles)"
            " WHERE (n - 1) % ? = 0 ORDER BY rowid", (size,))]
        return [Chunk(number=i, low=low if i else None, high=lows[i + 1] if i + 1 < len(lows) else None,
                      articles=min(size, total - i * size)) for i, low in enumerate(lows)]

    def chunk_articles(self, source: IndexVersion, chunk: Chunk) -> list[Article]:
        low = -(2**63) if chunk.low is None else int(chunk.low)
        high = 2**63 - 1 if chunk.high is None else int(chunk.high)
        rows = self._target(source).execute(
            "SELECT doc FROM articles WHERE rowid >= ? AND rowid < ? ORDER BY rowid", (low, high))
        return [Article.model_validate_json(doc) for (doc,) in rows]

    def load_chunk(self, target: IndexVersion, source: IndexVersion, articles: Sequence[Article]) -> list[IndexOutcome]:
        conn, origin = self._target(target), self._target(source)
        ids = [a.id for a in articles]
        with self._write(conn):
            # Inside the target's write transaction: a writer linking a near-copy commits the live
            # generation first and then waits for this transaction, so either its link is read
            # here or its update of the target comes after this insert.
            present = {i for i, _ in _column_of(conn, "id", ids)}
            links = dict(_column_of(origin, "duplicate_of", ids))
            out = []
            for a in articles:
                if a.id in present:
                    out.append(IndexOutcome(id=a.id, origin=a.origin, status="unchanged"))
                    continue
                linked = a.model_copy(update={"duplicate_of": links.get(a.id, a.duplicate_of)})
                out.append(IndexOutcome(id=a.id, origin=a.origin, status=self._upsert_one(conn, linked)))
        return out

    def missing_from(self, target: IndexVersion, source: IndexVersion) -> list[str]:
        conn = self._target(target)
        conn.execute("ATTACH DATABASE ? AS src", (str(self.generations.path(source.version)),))
        try:
            return [r[0] for r in conn.execute(
                "SELECT id FROM src.articles EXCEPT SELECT id FROM main.articles ORDER BY 1")]
        finally:
            conn.execute("DETACH DATABASE src")

    def create_next_version(self) -> IndexVersion:
        """One above every kept generation (and live), so an abandoned rebuild is never reused."""
        number = max([self.generations.read().live, *self.generations.kept()]) + 1
        path = self.generations.path(number)
        self.generations.remove(number)  # stray WAL files of a generation deleted by hand
        self._targets[number] = self._connect(path)
        return IndexVersion(name=str(path), version=number, articles=0)

    def load_into(self, target: IndexVersion, articles: Sequence[Article]) -> list[IndexOutcome]:
        conn = self._target(target)
        with self._write(conn):
            return [IndexOutcome(id=a.id, origin=a.origin, status=self._upsert_one(conn, a)) for a in articles]

    def count(self, target: IndexVersion) -> int:
        if target.version == self.generations.read().live:
            return self.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        return self._target(target).execute("SELECT count(*) FROM articles").fetchone()[0]

    def swap_to(self, target: IndexVersion) -> None:
        live = self.generations.read().live
        if target.version == live:
            return
        self._switch(live, target.version, previous=live)

    def rollback(self) -> IndexVersion:
        previous = self.generations.previous()
        if previous is None:
            raise StoreError(
                f"no previous SQLite generation of {self.base} to roll back to; "
                "a reindex keeps the generation it replaces until it is dropped"
            )
        complete = self.generations.read().complete
        older = [v for v in self.generations.kept() if v < previous and v in complete]
        self._switch(self.generations.read().live, previous, previous=older[-1] if older else None)
        return self._version(previous)

    def drop_version(self, target: IndexVersion) -> None:
        pointer = self.generations.read()
        if target.version == pointer.live:
            raise StoreError(f"{target.name} is the live SQLite generation; swap or roll back before dropping it")
        if pointer.building == target.version:
            self.set_building(None)
        conn = self._targets.pop(target.version, None)
        if conn is not None:
            conn.close()
        self.generations.remove(target.version)

    def _switch(self, live: int, to: int, previous: int | None) -> None:
        conn = self._target(self._version(to))
        # Failures are the ingest log, not derived data: carry them so `status` keeps them.
        self._carry_failures(self.generations.path(live), conn)
        self._targets.pop(to).close()
        done = self.generations.read().complete | {live, to}
        # The building mark goes in the same replace: no moment where writers skip the new live one.
        self.generations.write(Pointer(live=to, previous=previous, complete=done, building=None))
        self.close()

    def _carry_failures(self, source: Path, conn: sqlite3.Connection) -> None:
        if not source.exists():
            return
        conn.execute("ATTACH DATABASE ? AS old", (str(source),))
        try:
            with self._write(conn):
                conn.execute(
                    "INSERT INTO main.failures (origin, stage, reason, at)"
                    " SELECT o.origin, o.stage, o.reason, o.at FROM old.failures o WHERE NOT EXISTS ("
                    " SELECT 1 FROM main.failures f WHERE f.at = o.at AND f.origin = o.origin"
                    " AND f.stage = o.stage AND f.reason = o.reason)"
                )
        finally:
            conn.execute("DETACH DATABASE old")

    def _target(self, target: IndexVersion) -> sqlite3.Connection:
        """A connection to a kept generation, opened once per store object."""
        if target.version not in self._targets:
            path = self.generations.path(target.version)
            if not path.exists():
                raise StoreError(f"SQLite generation {path} does not exist; `newsworker reindex` creates the next one")
            self._targets[target.version] = self._connect(path)
        return self._targets[target.version]

    def _version(self, number: int) -> IndexVersion:
        path = self.generations.path(number)
        if number == self.generations.read().live:
            articles = self.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        else:
            articles = self._target(IndexVersion(name=str(path), version=number, articles=0)).execute(
                "SELECT count(*) FROM articles").fetchone()[0]
        return IndexVersion(name=str(path), version=number, articles=articles)

    # -- near-duplicates and the events rollup -----------------------------------------

    def signatures_near(self, bands: Sequence[str]) -> list[Signature]:
        return ev.signatures_near(self.conn, bands, CANDIDATES)

    def copies_of(self, originals: Sequence[str]) -> dict[str, list[str]]:
        return ev.duplicates_of(self.conn, originals)

    def set_duplicate_of(self, changes: dict[str, str | None]) -> None:
        if changes:
            with self._write() as conn:
                ev.set_duplicate_of(conn, changes)
            self._also_written(lambda conn: ev.set_duplicate_of(conn, changes))

    def mentions(self, window: Window) -> list[Mention]:
        return ev.mentions(self.conn, window)

    def records_in(self, window: Window) -> list[EventRecord]:
        return ev.records_in(self.conn, window)

    def replace_events(self, window: Window, records: Sequence[EventRecord]) -> None:
        with self._write() as conn:
            ev.replace_events(conn, window, records)

    def refresh_events(self, windows: Sequence[Window]) -> int:
        """Read, roll up and write in one write transaction: SQLite serialises the writers."""
        if not windows:
            return 0
        written = 0
        with self._write() as conn:
            for window in windows:
                window, records = recompute(window, lambda w: ev.mentions(conn, w),
                                            lambda w: ev.records_in(conn, w))
                ev.replace_events(conn, window, records)
                written += len(records)
        return written

    def event_groups(self) -> list[Group]:
        return ev.all_groups(self.conn)

    def search_events(self, query: EventQuery) -> list[EventRecord]:
        return ev.search_events(self.conn, query)

    def get_event(self, key: str) -> EventRecord | None:
        return ev.get_event(self.conn, key)

    # -- internals ------------------------------------------------------------------

    def _upsert_one(self, conn: sqlite3.Connection, article: Article) -> str:
        row = conn.execute(
            "SELECT rowid, content_hash, extractor_version FROM articles WHERE id = ?", (article.id,)
        ).fetchone()
        if row and is_unchanged(article, Fingerprint(content_hash=row[1], extractor_version=row[2]), article.extractor_version):
            return "unchanged"
        values = (
            article.id, article.url, article.canonical_url, article.source, article.title,
            q.iso(article.published_at) if article.published_at else None, article.language,
            q.iso(article.ingested_at), article.content_hash, article.simhash, article.duplicate_of,
            article.extractor_version, article.model_dump_json(),
        )
        columns = ("id, url, canonical_url, source, title, published_at, language, ingested_at, "
                   "content_hash, simhash, duplicate_of, extractor_version, doc")
        if row:
            rowid = row[0]
            assignments = ", ".join(f"{c.strip()} = ?" for c in columns.split(","))
            conn.execute(f"UPDATE articles SET {assignments} WHERE rowid = ?", (*values, rowid))
            for table in ("entities", "figures", "events"):
                conn.execute(f"DELETE FROM {table} WHERE article_rowid = ?", (rowid,))
            conn.execute("DELETE FROM articles_fts WHERE rowid = ?", (rowid,))
        else:
            marks = ",".join("?" * len(values))
            rowid = conn.execute(f"INSERT INTO articles ({columns}) VALUES ({marks})", values).lastrowid
        self._insert_parts(conn, rowid, article)
        ev.write_bands(conn, rowid, article)
        return "updated" if row else "created"

    @staticmethod
    def _insert_parts(conn: sqlite3.Connection, rowid: int, article: Article) -> None:
        conn.execute(
            "INSERT INTO articles_fts (rowid, title, standfirst, body) VALUES (?, ?, ?, ?)",
            (rowid, article.title, article.standfirst, article.body),
        )
        conn.executemany(
            "INSERT INTO entities (article_rowid, canonical, label, text, iso_code, count) VALUES (?, ?, ?, ?, ?, ?)",
            [(rowid, e.canonical, e.label, e.text, e.iso_code, e.count) for e in article.entities],
        )
        conn.executemany(
            "INSERT INTO figures (article_rowid, ord, value, value_max, category, qualifier, counts, location, role)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(rowid, i, f.value, f.value_max, f.category, f.qualifier, f.counts, f.location, f.role)
             for i, f in enumerate(article.figures)],
        )
        conn.executemany(
            "INSERT INTO events (article_rowid, type, key, actor, location, value, from_value, to_value, date)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(rowid, e.type, e.key, e.actor, e.location, e.value, e.from_value, e.to_value,
              q.iso(e.date) if e.date else None) for e in article.events],
        )


def _column_of(conn: sqlite3.Connection, column: str, ids: Sequence[str]) -> list[tuple[str, object]]:
    """(id, column) of the stored articles among ``ids``."""
    out: list[tuple[str, object]] = []
    for chunk in q.chunks(list(ids)):
        marks = ",".join("?" * len(chunk))
        out += conn.execute(f"SELECT id, {column} FROM articles WHERE id IN ({marks})", chunk).fetchall()
    return out
