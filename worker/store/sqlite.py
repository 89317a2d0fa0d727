"""SqliteStore: the embedded default, one file, FTS5 for words, tables for the rest."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from ..errors import StoreError, TransientStoreError
from ..models import Article, FacetCount, Failure, IndexOutcome, SearchHit, SearchQuery, SearchResult, StoreStats
from . import sqlite_query as q
from .base import ArticleStore, Fingerprint, is_unchanged
from ..sqlite_db import open_shared
from .resources import DEFAULT_MAPPINGS_DIR, mapping_text

BUSY_TIMEOUT_MS = 30_000
RECENT_FAILURES = 10


class SqliteStore(ArticleStore):
    kind = "sqlite"

    def __init__(self, path: Path, mappings_dir: Path = DEFAULT_MAPPINGS_DIR):
        self.path = Path(path)
        self.mappings_dir = mappings_dir
        self._conn: sqlite3.Connection | None = None

    # -- connection -----------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> sqlite3.Connection:
        try:
            return open_shared(self.path, mapping_text(self.mappings_dir, "sqlite.sql"), BUSY_TIMEOUT_MS / 1000)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"cannot open SQLite store {self.path}: {exc}; check the path and its permissions (NEWSWORKER_SQLITE_PATH)"
            ) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise TransientStoreError(f"SQLite store {self.path} is busy: {exc}") from None
            raise StoreError(f"SQLite store {self.path}: {exc}") from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- interface ------------------------------------------------------------------

    def setup(self) -> None:
        """The schema is applied when the connection opens; opening is all setup needs."""
        if self._conn is None:
            self._conn = self._connect()

    def fingerprints(self, ids: Sequence[str]) -> dict[str, Fingerprint]:
        found: dict[str, Fingerprint] = {}
        for chunk in _chunks(list(ids), 500):
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
                outcomes.append(IndexOutcome(id=article.id, origin=article.origin, status=self._upsert_one(conn, article)))
        return outcomes

    def get(self, article_id: str) -> Article | None:
        row = self.conn.execute("SELECT doc FROM articles WHERE id = ?", (article_id,)).fetchone()
        return Article.model_validate_json(row[0]) if row else None

    def search(self, query: SearchQuery) -> SearchResult:
        try:
            sql, params = q.total(query)
            total = self.conn.execute(sql, params).fetchone()[0]
            sql, params = q.page(query)
            rows = self.conn.execute(sql, params).fetchall()
            shown = self._matched_figures(query, [r[0] for r in rows]) if query.filters_figures else {}
            hits = [_hit(Article.model_validate_json(doc), score, snippet, shown.get(rowid, []))
                    for rowid, doc, score, snippet in rows]
            facets = self._facets(query) if query.facets else {}
        except sqlite3.OperationalError as exc:
            raise StoreError(f"search failed on {self.path}: {exc}") from None
        return SearchResult(total=total, hits=hits, facets=facets)

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
            last_ingested_at=_parse_iso(last),
            recent_failures=[Failure(origin=o, stage=s, reason=r, at=_parse_iso(a)) for o, s, r, a in recent],
        )

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

    def _matched_figures(self, query: SearchQuery, rowids: list[int]) -> dict[int, list[int]]:
        if not rowids:
            return {}
        sql, params = q.hit_figures(query, rowids)
        shown: dict[int, list[int]] = defaultdict(list)
        for rowid, ord_ in self.conn.execute(sql, params):
            shown[rowid].append(ord_)
        return shown

    def _facets(self, query: SearchQuery) -> dict[str, list[FacetCount]]:
        return {
            name: [FacetCount(value=str(v), count=n) for v, n in self.conn.execute(sql, params)]
            for name, (sql, params) in q.facets(query).items()
        }


def _hit(article: Article, score: float, snippet: str | None, figure_ords: list[int]) -> SearchHit:
    return SearchHit(
        id=article.id,
        score=round(score, 4),
        title=article.title,
        source=article.source,
        url=article.url,
        published_at=article.published_at,
        highlights=[snippet] if snippet else [],
        figures=[article.figures[i] for i in figure_ords if i < len(article.figures)],
        event_keys=sorted({e.key for e in article.events}),
    )


def _parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
