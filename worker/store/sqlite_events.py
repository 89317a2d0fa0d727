"""SqliteStore's near-duplicate and events-rollup tables: plain functions over a connection.

The schema is in mappings/sqlite.sql (near_bands, event_records, event_record_articles).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from ..duplicates import Signature, bands
from ..models import Article, EventMention, EventQuery, EventRecord
from ..rollup import (Group, Mention, Window, fact_of, group_of, group_text, in_window, record_group, record_search_text,
                      record_types)
from .sqlite_query import chunks, iso, parse_iso


def write_bands(conn: sqlite3.Connection, rowid: int, article: Article) -> None:
    conn.execute("DELETE FROM near_bands WHERE article_rowid = ?", (rowid,))
    conn.executemany("INSERT INTO near_bands (band, article_rowid) VALUES (?, ?)",
                     [(b, rowid) for b in bands(article.body)])


def signatures_near(conn: sqlite3.Connection, band_list: Sequence[str], limit: int) -> list[Signature]:
    found: dict[str, Signature] = {}
    for chunk in chunks(sorted(set(band_list)), 500):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT a.id, f.body, a.published_at, a.duplicate_of, json_extract(a.doc, '$.figures'), "
            "json_extract(a.doc, '$.entities') FROM near_bands b "
            "JOIN articles a ON a.rowid = b.article_rowid JOIN articles_fts f ON f.rowid = a.rowid "
            f"WHERE b.band IN ({marks}) AND a.duplicate_of IS NULL "
            "GROUP BY a.rowid ORDER BY count(*) DESC, a.id LIMIT ?", (*chunk, limit))
        for id_, body, published, duplicate_of, figures, entities in rows:
            found[id_] = Signature.of(id_, body or "", parse_iso(published), duplicate_of,
                                      json.loads(figures or "[]"), json.loads(entities or "[]"))
    return list(found.values())


def set_duplicate_of(conn: sqlite3.Connection, changes: dict[str, str | None]) -> None:
    """Point stored articles at their original (in the column and in the stored document)."""
    for id_, original in changes.items():
        row = conn.execute("SELECT doc FROM articles WHERE id = ?", (id_,)).fetchone()
        if row is None:
            continue
        doc = json.loads(row[0])
        doc["duplicate_of"] = original
        conn.execute("UPDATE articles SET duplicate_of = ?, doc = ? WHERE id = ?", (original, json.dumps(doc), id_))


def mentions(conn: sqlite3.Connection, window: Window) -> list[Mention]:
    """The stored mentions in the window, with their article's source, url and date."""
    dates, params = _fact_dates(window)
    rows = conn.execute(
        "SELECT DISTINCT a.id, a.source, a.url, a.published_at, a.duplicate_of, json_extract(a.doc, '$.events') "
        "FROM events e JOIN articles a ON a.rowid = e.article_rowid "
        f"WHERE e.location IS ? COLLATE BINARY AND ({dates})", (window.group[2], *params))
    out: list[Mention] = []
    for id_, source, url, published, duplicate_of, events in rows:
        for event in _events(events):
            mention = Mention(article_id=id_, source=source, url=url, published_at=parse_iso(published),
                              duplicate_of=duplicate_of, event=event)
            fact = fact_of(mention)
            if fact is not None and in_window(window, fact):
                out.append(mention)
    return out


# grp folds the place's case (what `events --location` matches); a window is one group exactly,
# as the rollup clusters them, so "Iraq" and "iraq" records are refreshed each by its own.
_OF_GROUP = "grp = ? AND location IS ? COLLATE BINARY"


def _group_params(window: Window) -> tuple:
    return (group_text(window.group), window.group[2])


def _fact_dates(window: Window) -> tuple[str, list]:
    """SQL over events e and articles a: the fact date (the event's, else the article's) is in the window."""
    fact_date = "COALESCE(e.date, a.published_at)"
    return _dated_or_undated(window, fact_date, window.facts_from, window.until)


def _dated_or_undated(window: Window, column: str, since: datetime | None, until: datetime | None) -> tuple[str, list]:
    """SQL: ``column`` (an ISO date) in [since, until) for the window's dated part, NULL for its undated part."""
    parts, params = [], []
    if window.dated:
        bounds = [f"{column} IS NOT NULL"]
        for op, value in ((">=", since), ("<", until)):
            if value:
                bounds.append(f"{column} {op} ?")
                params.append(iso(value))
        parts.append("(" + " AND ".join(bounds) + ")")
    if window.undated:
        parts.append(f"{column} IS NULL")
    return " OR ".join(parts) or "0", params


def records_in(conn: sqlite3.Connection, window: Window) -> list[EventRecord]:
    """Stored records of the window's group dated in [records_from, until), and the undated ones
    when the window has its undated part."""
    where, params = _dated_or_undated(window, "date", window.records_from, window.until)
    rows = conn.execute(f"SELECT doc FROM event_records WHERE {_OF_GROUP} AND ({where}) ORDER BY date, key",
                        (*_group_params(window), *params))
    return [EventRecord.model_validate_json(doc) for (doc,) in rows]


def all_groups(conn: sqlite3.Connection) -> list[Group]:
    groups: set[Group] = set()
    for (events,) in conn.execute("SELECT json_extract(a.doc, '$.events') FROM articles a "
                                  "WHERE EXISTS (SELECT 1 FROM events e WHERE e.article_rowid = a.rowid)"):
        for event in _events(events):
            group = group_of(event)
            if group is not None:
                groups.add(group)
    return sorted(groups, key=group_text)


def replace_events(conn: sqlite3.Connection, window: Window, records: Sequence[EventRecord]) -> None:
    """The window's records become exactly ``records`` (the rest of the group is left alone)."""
    where, params = _dated_or_undated(window, "date", window.facts_from, window.replace_until)
    keys = [k for (k,) in conn.execute(f"SELECT key FROM event_records WHERE {_OF_GROUP} AND ({where})",
                                       (*_group_params(window), *params))]
    for chunk in chunks(keys, 500):
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM event_record_articles WHERE key IN ({marks})", chunk)
        conn.execute(f"DELETE FROM event_records WHERE key IN ({marks})", chunk)
    for record in records:
        group = group_text(record_group(record))
        types = " " + " ".join(record_types(record)) + " "
        search_text = record_search_text(record)
        conn.execute(
            "INSERT OR REPLACE INTO event_records (key, grp, type, types, actor, location, date, first_seen, last_seen,"
            " source_count, search_text, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record.key, group, record.type, types, record.actor, record.location, _iso(record.date),
             _iso(record.first_seen), _iso(record.last_seen), len(record.sources), search_text, record.model_dump_json()))
        conn.executemany("INSERT INTO event_record_articles (key, article_id) VALUES (?, ?)",
                         [(record.key, a) for a in record.article_ids])


def search_events(conn: sqlite3.Connection, query: EventQuery) -> list[EventRecord]:
    where, params = ["1"], []
    if query.type:
        where.append("types LIKE ?")
        params.append(f"% {query.type} %")
    if query.location:
        where.append("location = ? COLLATE NOCASE")
        params.append(query.location)
    if query.actor:
        where.append("actor = ? COLLATE NOCASE")
        params.append(query.actor)
    if query.since:
        where.append("date >= ?")
        params.append(iso(query.since))
    if query.until:
        where.append("date <= ?")
        params.append(iso(query.until))
    for word in query.text.split():
        # Words are matched as written: "%" and "_" are not wildcards here.
        where.append("instr(lower(search_text), ?) > 0")
        params.append(word.lower())
    # Dated records first, oldest first, then the undated: two ordered reads that stop at the
    # page (event_records_location / event_records_date give the order), not one sort of every
    # record of the place.
    condition = " AND ".join(where)
    docs = [doc for (doc,) in conn.execute(
        f"SELECT doc FROM event_records WHERE {condition} AND date IS NOT NULL ORDER BY date, key LIMIT ?",
        (*params, query.size))]
    if len(docs) < query.size:
        docs += [doc for (doc,) in conn.execute(
            f"SELECT doc FROM event_records WHERE {condition} AND date IS NULL ORDER BY key LIMIT ?",
            (*params, query.size - len(docs)))]
    return [EventRecord.model_validate_json(doc) for doc in docs]


def get_event(conn: sqlite3.Connection, key: str) -> EventRecord | None:
    row = conn.execute("SELECT doc FROM event_records WHERE key = ?", (key,)).fetchone()
    return EventRecord.model_validate_json(row[0]) if row else None


def event_keys_of(conn: sqlite3.Connection, article_ids: Sequence[str]) -> dict[str, list[str]]:
    """Article id -> keys of the events it reports."""
    return _grouped(conn, "SELECT article_id, key FROM event_record_articles WHERE article_id IN ({}) ORDER BY key",
                    article_ids)


def duplicates_of(conn: sqlite3.Connection, article_ids: Sequence[str]) -> dict[str, list[str]]:
    """Original id -> ids of its stored near-copies."""
    return _grouped(conn, "SELECT duplicate_of, id FROM articles WHERE duplicate_of IN ({}) ORDER BY id", article_ids)


def _grouped(conn: sqlite3.Connection, sql: str, ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for chunk in chunks(list(ids), 500):
        for owner, value in conn.execute(sql.format(",".join("?" * len(chunk))), chunk):
            out.setdefault(owner, []).append(value)
    return out


def _events(raw: str | None) -> list[EventMention]:
    """The events of a stored article, read without parsing the rest of its document."""
    return [EventMention.model_validate(e) for e in json.loads(raw)] if raw else []


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value else None
