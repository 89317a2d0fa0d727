"""SQLite generations: files beside the store, a pointer naming the live one, atomic swaps."""

from __future__ import annotations

import json

import pytest

from tests.test_store_contract import ALL, IRAQ, MIXED
from worker.errors import StoreError
from worker.models import Failure, SearchQuery
from worker.store import SqliteStore


@pytest.fixture
def store(tmp_path):
    made = SqliteStore(tmp_path / "newsworker.db")
    made.setup()
    made.upsert(ALL)
    yield made
    made.close()


def _names(folder) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_store_without_pointer_is_version_one_and_unchanged(store, tmp_path):
    versions = store.versions()
    assert versions.live.version == 1 and versions.live.name == str(tmp_path / "newsworker.db")
    assert versions.live.articles == 3 and versions.previous is None
    assert "newsworker.generations.json" not in _names(tmp_path)


def test_iter_articles_returns_what_get_returns(store):
    seen = list(store.iter_articles(batch_size=2))
    assert sorted(a.id for a in seen) == sorted(a.id for a in ALL)
    assert all(a == store.get(a.id) for a in seen)


def test_next_generation_is_a_file_beside_the_store_and_swaps_atomically(store, tmp_path):
    target = store.create_next_version()
    assert (target.version, target.name) == (2, str(tmp_path / "newsworker.v2.db"))
    assert [o.status for o in store.load_into(target, [IRAQ])] == ["created"]
    assert store.count(target) == 1 and store.stats().articles == 3  # not live yet
    store.swap_to(target)
    pointer = json.loads((tmp_path / "newsworker.generations.json").read_text())
    assert pointer == {"live": 2, "previous": 1, "complete": [1, 2]}
    assert store.stats().articles == 1 and store.stats().location == target.name
    assert [h.id for h in store.search(SearchQuery(text="drawdown")).hits] == [IRAQ.id]


def test_a_connection_opened_before_the_swap_follows_it(store, tmp_path):
    other = SqliteStore(tmp_path / "newsworker.db")
    assert other.stats().articles == 3
    target = store.create_next_version()
    store.load_into(target, [MIXED])
    store.swap_to(target)
    assert other.get(IRAQ.id) is None and other.get(MIXED.id) == MIXED
    other.upsert([IRAQ])  # writes go to the live generation too
    assert store.count(target) == 2
    other.close()


def test_failures_log_is_carried_into_the_new_generation(store):
    store.record_failures([Failure(origin="bad.json", reason="malformed JSON", stage="read")])
    target = store.create_next_version()
    store.swap_to(target)
    assert [f.origin for f in store.stats().recent_failures] == ["bad.json"]
    store.rollback()
    assert store.stats().failures == 1  # carried back without doubling


def test_rollback_restores_previous_then_has_nothing_left(store):
    target = store.create_next_version()
    store.swap_to(target)
    restored = store.rollback()
    assert (restored.version, restored.articles) == (1, 3)
    assert store.versions().live.version == 1 and store.get(IRAQ.id) == IRAQ
    with pytest.raises(StoreError, match="no previous SQLite generation"):
        store.rollback()


def test_abandoned_generation_number_is_never_reused(store):
    abandoned = store.create_next_version()
    store.swap_to(abandoned)
    store.rollback()
    assert store.create_next_version().version == 3


def test_drop_refuses_live_and_removes_a_kept_generation(store, tmp_path):
    with pytest.raises(StoreError, match="is the live SQLite generation"):
        store.drop_version(store.versions().live)
    target = store.create_next_version()
    store.load_into(target, ALL)
    store.drop_version(target)
    assert not any(name.startswith("newsworker.v2.db") for name in _names(tmp_path))
    assert [v.version for v in store.versions().kept] == [1]


def test_unreadable_pointer_is_a_clear_error(store, tmp_path):
    (tmp_path / "newsworker.generations.json").write_text("{not json")
    with pytest.raises(StoreError, match="generation pointer .* is unreadable"):
        store.stats()


def test_pointer_to_a_missing_generation_says_how_to_recover(store, tmp_path):
    (tmp_path / "newsworker.generations.json").write_text('{"live": 7, "previous": 1}')
    with pytest.raises(StoreError, match=r"newsworker.v7.db is missing; `newsworker reindex --rollback`"):
        store.stats()
    assert store.rollback().version == 1
