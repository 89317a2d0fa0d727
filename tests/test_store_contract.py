"""The store contract: every ArticleStore answers these cases the same way.

Articles are built by hand (no spaCy) so each case states exactly what is stored.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from worker.models import Article, Entity, EventMention, Failure, Figure, SearchQuery
from worker.normalize.identity import content_hash


def _article(id_: str, title: str, body: str, *, source="Wire", published="2021-01-15", entities=(), figures=(), events=()) -> Article:
    return Article(
        id=id_,
        origin=f"test:{id_}",
        title=title,
        body=body,
        source=source,
        published_at=datetime.fromisoformat(published).replace(tzinfo=timezone.utc) if published else None,
        language="en",
        content_hash=content_hash(title, body),
        extractor_version="test",
        entities=list(entities),
        figures=list(figures),
        events=list(events),
    )


def _fig(value, category, *, location=None, qualifier="exact", counts="troops", value_max=None) -> Figure:
    return Figure(
        value=value, value_max=value_max, text=f"{value:,.0f}", counts=counts, category=category,
        qualifier=qualifier, location=location, sentence=f"{value} {counts}.", start=0, end=5,
    )


def _ent(name, label="GPE") -> Entity:
    return Entity(text=name, label=label, canonical=name, count=1, forms=[name])


IRAQ = _article(
    "iraq-drawdown", "US cuts troops in Iraq", "The troop drawdown in Iraq leaves 2,500 US service members.",
    entities=[_ent("Iraq"), _ent("Christopher Miller", "PERSON")],
    figures=[_fig(2500, "troops", location="Iraq"), _fig(3000, "troops", location="Iraq", qualifier="approx")],
    events=[EventMention(type="troop_level", key="troop_level:us:iraq:2500:2021-01", actor="United States", location="Iraq", value=2500)],
)
MIXED = _article(
    "mixed-figures", "Casualties and a small deployment", "Some 500 troops were sent while 3,000 people were killed in Syria.",
    source="Other Daily", published="2020-06-01",
    entities=[_ent("Syria")],
    figures=[_fig(500, "troops", location="Syria"), _fig(3000, "killed", location="Syria", counts="people")],
)
RANGE = _article(
    "range", "Between two and three thousand soldiers deployed", "Between 2,000 and 3,000 soldiers were deployed to Poland.",
    published="2022-03-01", entities=[_ent("Poland")],
    figures=[_fig(2000, "troops", location="Poland", qualifier="range", value_max=3000)],
)
ALL = [IRAQ, MIXED, RANGE]


@pytest.fixture(params=["sqlite"])
def store(request, tmp_path):
    from worker.store import SqliteStore

    made = SqliteStore(tmp_path / "store.db")
    made.setup()
    yield made
    made.close()


@pytest.fixture
def loaded(store):
    store.upsert(ALL)
    return store


def _ids(result) -> list[str]:
    return [hit.id for hit in result.hits]


def test_setup_twice_keeps_data(loaded):
    loaded.setup()
    assert loaded.stats().articles == 3


def test_upsert_reports_created_then_unchanged(store):
    assert [o.status for o in store.upsert(ALL)] == ["created"] * 3
    assert [o.status for o in store.upsert(ALL)] == ["unchanged"] * 3
    assert store.stats().articles == 3


def test_unchanged_upsert_keeps_stored_document(store):
    store.upsert([IRAQ])
    later = IRAQ.model_copy(update={"ingested_at": datetime(2030, 1, 1, tzinfo=timezone.utc)})
    store.upsert([later])
    assert store.get(IRAQ.id).ingested_at == IRAQ.ingested_at


def test_changed_content_replaces_document_and_its_rows(store):
    store.upsert([IRAQ])
    edited = IRAQ.model_copy(update={"body": "Now 1,000 troops remain.", "content_hash": "changed", "figures": [_fig(1000, "troops")]})
    assert store.upsert([edited])[0].status == "updated"
    assert store.get(IRAQ.id).body == "Now 1,000 troops remain."
    assert _ids(store.search(SearchQuery(figure_category="troops", figure_min=2000))) == []
    assert _ids(store.search(SearchQuery(text="drawdown"))) == []
    assert store.stats().figures == 1


def test_new_extractor_version_counts_as_update(store):
    store.upsert([IRAQ])
    assert store.upsert([IRAQ.model_copy(update={"extractor_version": "next"})])[0].status == "updated"


def test_fingerprints_only_for_stored_ids(loaded):
    found = loaded.fingerprints([IRAQ.id, "missing"])
    assert set(found) == {IRAQ.id}
    assert found[IRAQ.id].content_hash == IRAQ.content_hash


def test_get_round_trips_the_article(loaded):
    assert loaded.get(IRAQ.id) == IRAQ
    assert loaded.get("nope") is None


def test_words_are_stemmed_and_all_required(loaded):
    assert _ids(loaded.search(SearchQuery(text="troop drawdown"))) == [IRAQ.id]
    assert _ids(loaded.search(SearchQuery(text="drawdown Poland"))) == []


def test_quoted_phrase_must_match_in_order(loaded):
    assert _ids(loaded.search(SearchQuery(text='"service members"'))) == [IRAQ.id]
    assert _ids(loaded.search(SearchQuery(text='"members service"'))) == []


@pytest.mark.parametrize("text", ['troops"', "AND OR NOT", "troop*", "(Iraq", "-troops", "NEAR(x y)", "''"])
def test_query_syntax_characters_never_break_search(loaded, text):
    loaded.search(SearchQuery(text=text))


def test_title_match_outranks_body_match(loaded):
    result = loaded.search(SearchQuery(text="soldiers"))
    assert _ids(result)[0] == RANGE.id


def test_highlights_mark_the_matched_words(loaded):
    hit = loaded.search(SearchQuery(text="drawdown")).hits[0]
    assert any("<em>drawdown</em>" in h for h in hit.highlights)


def test_no_words_lists_newest_first(loaded):
    assert _ids(loaded.search(SearchQuery())) == [RANGE.id, IRAQ.id, MIXED.id]


def test_entity_filter_matches_canonical_case_insensitively(loaded):
    assert _ids(loaded.search(SearchQuery(entity="iraq"))) == [IRAQ.id]
    assert _ids(loaded.search(SearchQuery(entity="Christopher Miller"))) == [IRAQ.id]


def test_figure_filter_holds_within_one_figure(loaded):
    # MIXED has troops (500) and a 3,000 figure, but no single troops figure >= 2000.
    result = loaded.search(SearchQuery(figure_category="troops", figure_min=2000))
    assert set(_ids(result)) == {IRAQ.id, RANGE.id}


def test_figure_range_overlaps_the_bounds(loaded):
    assert _ids(loaded.search(SearchQuery(figure_category="troops", figure_min=2800, figure_max=2900))) == [RANGE.id]


def test_figure_qualifier_and_location_apply_to_the_same_figure(loaded):
    assert _ids(loaded.search(SearchQuery(figure_category="troops", qualifier="approx"))) == [IRAQ.id]
    assert _ids(loaded.search(SearchQuery(figure_category="killed", location="Iraq"))) == []
    assert _ids(loaded.search(SearchQuery(figure_category="killed", location="Syria"))) == [MIXED.id]


def test_hits_carry_the_figures_that_matched(loaded):
    hit = loaded.search(SearchQuery(figure_category="troops", figure_min=2000, entity="Iraq")).hits[0]
    assert [f.value for f in hit.figures] == [2500, 3000]


def test_location_without_figure_filter_matches_places(loaded):
    assert _ids(loaded.search(SearchQuery(location="Poland"))) == [RANGE.id]


def test_event_type_filter_and_event_keys(loaded):
    result = loaded.search(SearchQuery(event_type="troop_level"))
    assert _ids(result) == [IRAQ.id]
    assert result.hits[0].event_keys == ["troop_level:us:iraq:2500:2021-01"]


def test_source_and_date_range(loaded):
    assert _ids(loaded.search(SearchQuery(source="other daily"))) == [MIXED.id]
    since = datetime(2021, 1, 1, tzinfo=timezone.utc)
    until = datetime(2021, 12, 31, tzinfo=timezone.utc)
    assert _ids(loaded.search(SearchQuery(published_from=since, published_to=until))) == [IRAQ.id]


def test_paging_and_total(loaded):
    first = loaded.search(SearchQuery(size=2))
    second = loaded.search(SearchQuery(size=2, offset=2))
    assert first.total == second.total == 3
    assert len(first.hits) == 2 and len(second.hits) == 1
    assert set(_ids(first)).isdisjoint(_ids(second))


def test_facets_count_articles_in_the_whole_match(loaded):
    facets = loaded.search(SearchQuery(size=1)).facets
    assert {f.value: f.count for f in facets["source"]} == {"Wire": 2, "Other Daily": 1}
    assert {f.value: f.count for f in facets["figure_category"]} == {"troops": 3, "killed": 1}
    narrowed = loaded.search(SearchQuery(text="troops", entity="Iraq")).facets
    assert {f.value: f.count for f in narrowed["source"]} == {"Wire": 1}


def test_failures_are_recorded_and_shown_newest_first(store):
    store.record_failures([
        Failure(origin="a.json", reason="malformed JSON", stage="read", at=datetime(2021, 1, 1, tzinfo=timezone.utc)),
        Failure(origin="b.txt", reason="file is empty", stage="read", at=datetime(2021, 1, 2, tzinfo=timezone.utc)),
    ])
    stats = store.stats()
    assert stats.failures == 2
    assert [f.origin for f in stats.recent_failures] == ["b.txt", "a.json"]


def test_stats_count_rows(loaded):
    stats = loaded.stats()
    assert (stats.articles, stats.figures, stats.events) == (3, 5, 1)
    assert stats.entities == 4  # entity rows: 2 + 1 + 1
    assert stats.last_ingested_at is not None
