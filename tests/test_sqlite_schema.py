"""A store file written by an earlier schema keeps working: opening it upgrades it in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.test_store_contract import _article
from worker.models import SearchQuery
from worker.store import SqliteStore
from worker.store.sqlite_events import set_duplicate_of
from worker.store.sqlite_schema import VERSION

# What schema 1 had of what schema 2 changed: article_dates without is_copy, and triggers
# that kept only the dates.
BACK_TO_1 = """
DROP INDEX article_dates_copies;
DROP TRIGGER article_dates_insert;
DROP TRIGGER article_dates_update;
ALTER TABLE article_dates DROP COLUMN is_copy;
CREATE TRIGGER article_dates_insert AFTER INSERT ON articles BEGIN
    INSERT OR REPLACE INTO article_dates (rowid, published_at) VALUES (new.rowid, new.published_at);
END;
CREATE TRIGGER article_dates_update AFTER UPDATE OF published_at ON articles BEGIN
    UPDATE article_dates SET published_at = new.published_at WHERE rowid = new.rowid;
END;
PRAGMA user_version = 1;
"""


def _old_store(path: Path) -> None:
    """Three articles, then (as schema 1) one of them linked as a near-copy of another."""
    made = SqliteStore(path)
    made.upsert([_article("wire", "Troops leave", "Troops leave the base.", published="2021-01-01"),
                 _article("copy", "Troops leave", "Troops leave the base today.", published="2021-01-02"),
                 _article("later", "Troops rotate", "Troops rotate home.", published="2021-01-03")])
    made.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(BACK_TO_1)
    set_duplicate_of(conn, {"copy": "wire"})
    conn.close()


def _ids(store: SqliteStore, **query) -> list[str]:
    return [h.id for h in store.search(SearchQuery(**query)).hits]


def test_a_schema_1_store_is_upgraded_on_open_and_hides_its_copies(tmp_path):
    _old_store(tmp_path / "store.db")
    store = SqliteStore(tmp_path / "store.db")
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == VERSION
    assert _ids(store, text="troops") == ["later", "wire"]
    assert _ids(store) == ["later", "wire"]
    assert sorted(_ids(store, text="troops", include_duplicates=True)) == ["copy", "later", "wire"]
    assert store.search(SearchQuery(text="troops")).total == 2
    store.close()


def test_after_the_upgrade_writes_keep_the_copy_flag(tmp_path):
    _old_store(tmp_path / "store.db")
    store = SqliteStore(tmp_path / "store.db")
    store.set_duplicate_of({"copy": None, "later": "wire"})
    assert sorted(_ids(store, text="troops")) == ["copy", "wire"]
    store.upsert([_article("new-copy", "Troops leave", "Troops leave the base now.", published="2021-01-04")
                  .model_copy(update={"duplicate_of": "wire"})])
    assert sorted(_ids(store, text="troops")) == ["copy", "wire"]
    store.close()


def test_opening_an_upgraded_store_again_changes_nothing(tmp_path):
    _old_store(tmp_path / "store.db")
    first = SqliteStore(tmp_path / "store.db")
    first.setup()
    first.close()
    conn = sqlite3.connect(tmp_path / "store.db")
    before = conn.execute("SELECT rowid, published_at, is_copy FROM article_dates ORDER BY rowid").fetchall()
    conn.close()
    again = SqliteStore(tmp_path / "store.db")
    assert again.conn.execute("SELECT rowid, published_at, is_copy FROM article_dates ORDER BY rowid").fetchall() == before
    again.close()


def test_an_old_store_opened_read_only_says_why_search_fails(tmp_path, monkeypatch):
    from worker import sqlite_db
    from worker.errors import StoreError

    _old_store(tmp_path / "store.db")

    def cannot_write(*_args):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    # As on a read-only mount (tests/test_read_only_store.py): the upgrade on open cannot run.
    monkeypatch.setattr(sqlite_db, "_open_writable", cannot_write)
    monkeypatch.setattr(sqlite_db, "_cannot_write", lambda _path: True)
    store = SqliteStore(tmp_path / "store.db")
    with pytest.raises(StoreError, match=r"older newsworker \(schema 1, search needs 2\).*upgraded in place"):
        store.search(SearchQuery(text="troops"))
    store.close()


def test_a_store_without_the_index_of_copies_counts_the_same(tmp_path):
    """A store written by an earlier version and opened read-only is searched without it."""
    from worker.store import sqlite_search

    _old_store(tmp_path / "store.db")
    upgraded = SqliteStore(tmp_path / "store.db")
    upgraded.setup()  # upgraded, and given the index
    upgraded.close()
    conn = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    totals = [sqlite_search.search(conn, SearchQuery(text="troops", size=1, facets=False)).total]
    conn.execute("DROP INDEX article_dates_copies")
    totals.append(sqlite_search.search(conn, SearchQuery(text="troops", size=1, facets=False)).total)
    conn.close()
    assert totals == [2, 2]
