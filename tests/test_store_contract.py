"""The store contract: every ArticleStore answers these cases the same way.

Articles are built by hand (no spaCy) so each case states exactly what is stored.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from worker.models import Article, Entity, EventMention, EventQuery, Failure, Figure, SearchQuery
from worker.rollup import Window
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


@pytest.fixture(params=["sqlite", "elasticsearch"])
def store(request, tmp_path):
    if request.param == "elasticsearch":
        cluster = request.getfixturevalue("es_cluster")
        made = cluster.store(request.getfixturevalue("es_prefix"))
    else:
        from worker.store import SqliteStore

        made = SqliteStore(tmp_path / "store.db")
    made.setup()
    yield made
    made.close()


@pytest.fixture
def extractor_free_ingest():
    """Index hand-built articles the way ingest does (near-copies, upsert, events), without
    spaCy: the articles already carry what extraction would give them."""
    from worker.ingest import index_articles

    def run(store, articles):
        index_articles(store, articles, [old for a in articles if (old := store.get(a.id)) is not None])

    return run


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



def test_every_hit_of_a_page_short_of_the_matches_is_highlighted(loaded):
    """A page that leaves matches over (so they are counted) marks its words as a whole page does."""
    short = loaded.search(SearchQuery(text="troops", size=1, facets=False))
    whole = loaded.search(SearchQuery(text="troops", size=3, facets=False))  # every match: not counted
    assert short.total == whole.total == 2
    assert short.hits[0].highlights == whole.hits[0].highlights
    assert all("<em>" in h for hit in whole.hits for h in hit.highlights) and short.hits[0].highlights


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


def test_counting_stops_at_the_bound_and_says_at_least(loaded, monkeypatch):
    from worker.store import es_query, sqlite_query

    monkeypatch.setattr(sqlite_query, "COUNT_BOUND", 2)
    monkeypatch.setattr(sqlite_query, "FACET_BOUND", 1)  # below the bound: ranking alone cannot tell the total
    monkeypatch.setattr(es_query, "COUNT_BOUND", 2)
    bounded = loaded.search(SearchQuery(size=1))
    assert (bounded.total, bounded.total_relation) == (2, "gte")
    assert len(bounded.hits) == 1
    exact = loaded.search(SearchQuery(text="troops", size=1))
    assert (exact.total, exact.total_relation) == (2, "eq")


def test_equal_scores_list_newest_first_across_pages(store):
    same = [_article(f"same-{d}", "Troops rotate", "Troops rotate home.", published=f"2021-0{d}-01") for d in (3, 1, 2)]
    store.upsert(same)
    first, second = store.search(SearchQuery(text="troops", size=2)), store.search(SearchQuery(text="troops", size=2, offset=2))
    assert _ids(first) + _ids(second) == ["same-3", "same-2", "same-1"]
    bare = [store.search(SearchQuery(text="troops", size=2, offset=n, facets=False)) for n in (0, 2)]
    assert _ids(bare[0]) + _ids(bare[1]) == ["same-3", "same-2", "same-1"]


def _same_words(days: list[int]) -> list[Article]:
    """Articles of one text (so of one score), dated 2021 + ``day`` days, stored in this order."""
    start = datetime(2021, 1, 1, tzinfo=timezone.utc).timestamp()
    return [_article(f"same-{d:02d}", "Troops rotate", "Troops rotate home.",
                     published=datetime.fromtimestamp(start + d * 86_400, timezone.utc).date().isoformat())
            for d in days]


def test_equal_scores_list_newest_first_whatever_order_they_arrived_in(store):
    days = list(range(40))
    random.Random(3).shuffle(days)  # a backfill: stored order says nothing of the dates
    store.upsert(_same_words(days))
    newest = [f"same-{d:02d}" for d in sorted(days, reverse=True)]
    pages = [_ids(store.search(SearchQuery(text="troops", size=3, offset=n, facets=False))) for n in (0, 3, 36, 39)]
    assert pages == [newest[0:3], newest[3:6], newest[36:39], newest[39:]]


def test_equal_scores_past_a_run_of_near_copies_list_the_newest_originals(store):
    """The newest 20 are near-copies of older ones: the first page of originals lies past them."""
    articles = _same_words(list(range(40)))
    articles = articles[:20] + [a.model_copy(update={"duplicate_of": "same-00"}) for a in articles[20:]]
    store.upsert(articles)
    result = store.search(SearchQuery(text="troops", size=3, facets=False))
    assert (_ids(result), result.total) == (["same-19", "same-18", "same-17"], 20)
    every = store.search(SearchQuery(text="troops", size=3, include_duplicates=True, facets=False))
    assert (_ids(every), every.total) == (["same-39", "same-38", "same-37"], 40)


def test_deep_page_past_the_search_window(store, monkeypatch, request):
    """Pages beyond Elasticsearch's from+size window (10,000) are reached with search_after."""
    from worker.store import es_query

    if store.kind == "elasticsearch" and request.getfixturevalue("es_cluster").osmem:
        pytest.skip("osmem-server has no point-in-time, which a deep page walks in (real Elasticsearch has)")
    monkeypatch.setattr(es_query, "MAX_WINDOW", 2)
    store.upsert([_article(f"deep-{d}", f"Troops {d}", "Troops rotate home.", published=f"2021-0{d}-01")
                  for d in range(1, 6)])
    assert _ids(store.search(SearchQuery(size=2, offset=3))) == ["deep-2", "deep-1"]
    assert _ids(store.search(SearchQuery(text="troops", size=1, offset=4))) == [
        _ids(store.search(SearchQuery(text="troops", size=5)))[4]]


def test_sqlite_facets_over_many_matches_count_the_best_ranked_and_say_so(tmp_path, monkeypatch):
    from worker.store import SqliteStore, sqlite_query

    store = SqliteStore(tmp_path / "store.db")
    store.upsert(ALL)
    monkeypatch.setattr(sqlite_query, "FACET_BOUND", 2)
    result = store.search(SearchQuery())  # newest first: RANGE, IRAQ (both Wire), then MIXED
    assert result.facets_top == 2 and result.total == 3
    assert {f.value: f.count for f in result.facets["source"]} == {"Wire": 2}
    assert store.search(SearchQuery(source="Wire")).facets_top is None  # two matches: every one counted
    monkeypatch.setattr(sqlite_query, "FACET_BOUND", 1)
    # A filter ranks FACET_BOUND rows even without facets; past them the total is counted.
    narrowed = store.search(SearchQuery(source="Wire", facets=False, size=1))
    assert (narrowed.total, narrowed.total_relation, _ids(narrowed)) == (2, "eq", ["range"])
    store.close()


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


# --------------------------------------------------------------------------- near-copies and the events rollup

WIRE_BODY = ("The Pentagon said on Friday that the number of American troops in Iraq has been reduced to 2,500, "
             "completing a drawdown ordered by the president days before he leaves office. Officials said the "
             "remaining forces would keep advising Iraqi units against Islamic State remnants in the north.")


def _event(value, *, location="Iraq", type="troop_level", day=15, actor="United States", **values) -> EventMention:
    return EventMention(type=type, key=f"{type}:{location}:{value}", actor=actor, location=location, value=value,
                        date=datetime(2021, 1, day, tzinfo=timezone.utc), sentence=f"{value} troops in {location}.", **values)


def test_near_copies_collapse_into_the_earliest_original(store, extractor_free_ingest):
    wire = _article("wire", "Pentagon completes Iraq drawdown", WIRE_BODY, source="AP", published="2021-01-15")
    copy = _article("copy", "Iraq troop drawdown complete", WIRE_BODY.replace("on Friday", "Friday"), source="Local Paper",
                    published="2021-01-16")
    other = _article("other", "Oil prices rise", "Oil prices rose in Asian trade on Monday as traders weighed cuts. " * 3)
    extractor_free_ingest(store, [copy, other])
    extractor_free_ingest(store, [wire])  # the original arrives last
    assert store.get("copy").duplicate_of == "wire" and store.get("wire").duplicate_of is None
    assert store.get("other").duplicate_of is None
    collapsed = store.search(SearchQuery(text="drawdown"))
    assert _ids(collapsed) == ["wire"] and collapsed.hits[0].duplicates == ["copy"]
    everything = store.search(SearchQuery(text="drawdown", include_duplicates=True))
    assert sorted(_ids(everything)) == ["copy", "wire"]
    assert next(h for h in everything.hits if h.id == "copy").duplicate_of == "wire"


def test_events_roll_up_across_articles_and_search_shows_their_keys(store, extractor_free_ingest):
    a = _article("a", "Cut to 2,500", "US cut its Iraq force to 2,500.", source="Reuters", published="2021-01-15",
                 events=[_event(None, type="troop_level_change", to_value=2500, from_value=3000)])
    b = _article("b", "2,500 remain", "Some 2,480 US troops remain in Iraq.", source="BBC", published="2021-01-16",
                 events=[_event(2480, day=16)])
    c = _article("c", "Afghanistan", "2,500 US troops remain in Afghanistan.", source="CNN", published="2021-01-15",
                 events=[_event(2500, location="Afghanistan")])
    extractor_free_ingest(store, [a])
    extractor_free_ingest(store, [b, c])
    [iraq] = store.search_events(EventQuery(location="Iraq"))
    assert iraq.key == "troop_level:united-states:iraq:2500:2021-01-15"
    assert iraq.article_ids == ["a", "b"] and iraq.sources == ["Reuters", "BBC"] and iraq.values == [2480, 2500]
    assert store.get_event(iraq.key) == iraq and store.get_event("nope") is None
    assert [r.location for r in store.search_events(EventQuery(type="troop_level"))] == ["Afghanistan", "Iraq"]
    assert store.search_events(EventQuery(type="troop_level_change")) == [iraq]  # told as a change by Reuters
    assert store.search_events(EventQuery(text="Afghanistan"))[0].location == "Afghanistan"
    assert store.search_events(EventQuery(since=datetime(2021, 2, 1, tzinfo=timezone.utc))) == []
    hits = {h.id: h for h in store.search(SearchQuery(text="troops")).hits}
    assert hits["b"].event_keys == [iraq.key]


def test_rollup_is_the_same_whatever_the_order_and_follows_updates(store, extractor_free_ingest):
    first = _article("x", "Level", "2,500 US troops are in Iraq.", events=[_event(2500)])
    second = _article("y", "Level again", "There are 2,500 US troops in Iraq.", events=[_event(2500)])
    extractor_free_ingest(store, [second])
    extractor_free_ingest(store, [first])
    [record] = store.search_events(EventQuery())
    assert record.article_ids == ["x", "y"]
    moved = second.model_copy(update={"content_hash": "moved", "events": [_event(2500, location="Syria")]})
    extractor_free_ingest(store, [moved])
    by_place = {r.location: r.article_ids for r in store.search_events(EventQuery())}
    assert by_place == {"Iraq": ["x"], "Syria": ["y"]}


def test_two_writers_at_once_end_with_the_records_one_writer_makes(tmp_path):
    """Two SqliteStore connections index two outlets' reports of one fact concurrently."""
    import threading

    from worker.ingest import index_articles
    from worker.rollup import Mention, roll_up
    from worker.store import SqliteStore

    reports = [_article(f"r{i}", f"Report {i}", f"Some 2,500 US troops remain in Iraq, outlet {i} says.",
                        source=f"Outlet {i}", events=[_event(2500 + i)]) for i in range(12)]
    stores = [SqliteStore(tmp_path / "shared.db") for _ in range(2)]
    for s in stores:
        s.setup()
    halves = [reports[0::2], reports[1::2]]

    def write(store, articles):
        for article in articles:
            index_articles(store, [article], [])

    threads = [threading.Thread(target=write, args=(s, half)) for s, half in zip(stores, halves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = stores[0].search_events(EventQuery())
    expected = roll_up([Mention(article_id=a.id, source=a.source, published_at=a.published_at, event=e)
                        for a in reports for e in a.events])
    assert [(r.key, r.article_ids, r.values) for r in got] == [(r.key, r.article_ids, r.values) for r in expected]
    assert len(got) == 1 and len(got[0].article_ids) == 12
    for s in stores:
        s.close()


def test_reingesting_an_unchanged_article_heals_a_missed_events_refresh(store, extractor):
    """A worker killed between the upsert and the events refresh: the redelivered batch finds the
    article unchanged, and still brings its events into the rollup."""
    from tests.conftest import SEED
    from worker.ingest import ingest_files
    from worker.sources.metadata import Overrides

    report = ingest_files([SEED], store, extractor, Overrides(source="Wire"), 20 * 1024 * 1024, roots=[SEED.parent])
    iraq = EventQuery(location="Iraq", type="troop_level")
    assert store.search_events(iraq)
    store.replace_events(Window(("troops", None, "Iraq")), [])  # as if the refresh never ran
    assert store.search_events(iraq) == []
    again = ingest_files([SEED], store, extractor, Overrides(source="Wire"), 20 * 1024 * 1024, roots=[SEED.parent])
    assert [o.status for o in again.duplicates] == ["unchanged"] and report.indexed
    assert [r.article_ids for r in store.search_events(iraq)][0] == [report.indexed[0].id]


def test_an_older_original_arriving_last_takes_over_the_whole_group(store, extractor_free_ingest):
    wire = _article("wire", "Pentagon completes Iraq drawdown", WIRE_BODY, source="AP", published="2021-01-15")
    first = _article("first", "Drawdown", WIRE_BODY.replace("on Friday", "Friday"), published="2021-01-16")
    second = _article("second", "Drawdown done", WIRE_BODY.replace("north", "north of the country"), published="2021-01-17")
    extractor_free_ingest(store, [first])
    extractor_free_ingest(store, [second])
    assert store.get("second").duplicate_of == "first"
    extractor_free_ingest(store, [wire])
    assert [store.get(i).duplicate_of for i in ("wire", "first", "second")] == [None, "wire", "wire"]


TEMPLATE_BODY = ("{country} will send {n} more troops to {place} next month, the defence ministry said on Friday, in a "
                 "deployment that officials described as part of a long-running effort to train local forces and to "
                 "protect bases used by the coalition. The ministry said the soldiers would stay for six months.")


def _template(id_, country, n, place, code, published):
    body = TEMPLATE_BODY.format(country=country, n=f"{n:,}", place=place)
    place_entity = Entity(text=place, label="GPE", canonical=place, iso_code=code, count=1, forms=[place])
    return _article(id_, f"{country} troops to {place}", body, published=published, entities=[place_entity],
                    figures=[_fig(n, "troops", location=place)])


def test_reports_from_one_template_about_other_places_and_figures_are_not_hidden(store, extractor_free_ingest):
    """One template, other facts: each report is an original and found by search."""
    extractor_free_ingest(store, [_template("iraq", "The US", 2500, "Iraq", "IQ", "2021-01-15")])
    extractor_free_ingest(store, [_template("chad", "France", 1100, "Chad", "TD", "2021-01-16"),
                                  _template("mali", "Germany", 1100, "Mali", "ML", "2021-01-16")])
    assert [store.get(i).duplicate_of for i in ("iraq", "chad", "mali")] == [None, None, None]
    assert sorted(_ids(store.search(SearchQuery(text="ministry")))) == ["chad", "iraq", "mali"]
    # a true copy of one of them still collapses into it
    copy = _template("chad-copy", "France", 1100, "Chad", "TD", "2021-01-17")
    extractor_free_ingest(store, [copy.model_copy(update={"id": "chad-copy", "body": copy.body.replace("on Friday", "Friday")})])
    assert store.get("chad-copy").duplicate_of == "chad"


def test_a_demoted_originals_copies_follow_only_when_near_the_new_original(store, extractor_free_ingest):
    """b was a's copy; an older c near a but not near b takes a over, and b becomes its own original
    rather than a copy of a copy."""
    words = [" ".join(f"word{i}x{j}" for j in range(8)) + "." for i in range(16)]
    a, b, c = (" ".join(words[i : i + 10]) for i in (3, 6, 0))
    extractor_free_ingest(store, [_article("a", "A", a, published="2021-01-15")])
    extractor_free_ingest(store, [_article("b", "B", b, published="2021-01-16")])
    assert store.get("b").duplicate_of == "a"
    extractor_free_ingest(store, [_article("c", "C", c, published="2021-01-14")])
    assert [store.get(i).duplicate_of for i in ("c", "a", "b")] == [None, "c", None]


def test_batch_by_batch_refreshes_give_the_records_of_one_whole_recompute(store, extractor_free_ingest):
    """Each batch refreshes only the windows it touches (worker.rollup.Window): news in date
    order, then a late backfill of older reports, undated ones and an update."""
    import random

    from worker.rollup import Mention, roll_up

    rng = random.Random(5)
    words = "army base north south talks deal patrol border convoy airfield advisers unit".split()
    articles = []
    for n in range(40):
        day = 1 + n * 20 // 40 if n < 30 else rng.randint(1, 20)  # the last ten arrive late, any date
        undated = n % 13 == 12
        value = rng.choice([1000, 2500, 2500, 3000]) + rng.choice([0, 0, 30, 400])
        event = _event(value, day=day, location=rng.choice(["Iraq", "Syria"]),
                       actor=rng.choice(["United States", None]))
        if undated:
            event = event.model_copy(update={"date": None})
        body = " ".join(rng.choice(words) for _ in range(40))
        articles.append(_article(f"n{n:02d}", f"Report {n}", body, source=f"Outlet {n % 7}",
                                 published=None if undated else f"2021-01-{day:02d}", events=[event]))
    for start in range(0, len(articles), 5):
        extractor_free_ingest(store, articles[start:start + 5])
    moved = articles[4].model_copy(update={"content_hash": "moved", "events": [_event(7000, day=3)]})
    extractor_free_ingest(store, [moved])

    stored = [store.get(a.id) for a in articles]
    expected = roll_up(Mention(article_id=a.id, source=a.source, url=a.url, published_at=a.published_at,
                               duplicate_of=a.duplicate_of, event=e) for a in stored for e in a.events)
    got = store.search_events(EventQuery(size=1000))

    def shown(records):
        return sorted((r.key, r.article_ids, r.values) for r in records)

    assert len(expected) > 10
    assert shown(got) == shown(expected)


def test_places_spelled_in_two_cases_keep_their_records_apart(store, extractor_free_ingest):
    """The stored group name is case-folded ("troops||iraq"); a refresh of one spelling must not
    drop the records of the other."""
    upper = _article("up", "Iraq", "2,500 US troops are in Iraq.", events=[_event(2500)])
    lower = _article("low", "iraq", "1,000 US troops are in iraq.", events=[_event(1000, location="iraq")])
    extractor_free_ingest(store, [upper])
    extractor_free_ingest(store, [lower])
    assert sorted((r.location, r.article_ids) for r in store.search_events(EventQuery())) == [
        ("Iraq", ["up"]), ("iraq", ["low"])]


def test_sqlite_refusing_one_article_keeps_the_rest_of_the_batch(tmp_path, monkeypatch):
    """Issue 18 item 7: one document SQLite could not hold (sqlite3.DataError) lost the batch."""
    import sqlite3

    from worker.store import SqliteStore

    store = SqliteStore(tmp_path / "n.db")
    real = store._upsert_one

    def refuse_big(conn, article):
        if article.id == "big":
            raise sqlite3.DataError("string or blob too big")
        return real(conn, article)

    monkeypatch.setattr(store, "_upsert_one", refuse_big)
    outcomes = store.upsert([_article("good", "Good", "Troops in Iraq."), _article("big", "Big", "x"),
                             _article("also", "Also good", "More troops.")])
    assert [(o.id, o.status) for o in outcomes] == [("good", "created"), ("big", "failed"), ("also", "created")]
    assert "string or blob too big" in outcomes[1].reason
    assert store.get("good") and store.get("also") and store.get("big") is None
    store.close()


def test_a_full_disk_is_the_stores_fault_not_the_documents(tmp_path):
    """Issue 18 item 6: disk full was each document's failure ("cannot rollback"), nothing
    retried or parked. Now it is transient, with the real cause, and nothing is half-written."""
    import pytest

    from worker.errors import TransientStoreError
    from worker.store import SqliteStore

    store = SqliteStore(tmp_path / "n.db")
    store.upsert([_article("first", "First", "Troops in Iraq.")])
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
    big = [_article(f"a{i}", f"Story {i}", "Troops moved. " * 2_000) for i in range(5)]

    with pytest.raises(TransientStoreError, match="database or disk is full") as caught:
        store.upsert(big)

    assert "cannot rollback" not in str(caught.value)
    store.conn.execute("PRAGMA max_page_count = 1073741823")  # space returns
    assert store.get("a0") is None and store.get("first") is not None
    assert [o.status for o in store.upsert(big)] == ["created"] * 5
    store.close()


def test_event_listing_is_dated_oldest_first_then_undated_and_stops_at_the_size(store, extractor_free_ingest):
    def report(id_, value, day):
        date = datetime(2021, 1, day, tzinfo=timezone.utc) if day else None
        event = EventMention(type="troop_level", key=f"k-{id_}", actor="United States", location="Iraq", value=value,
                             date=date, sentence=f"{value} troops in Iraq.")
        return _article(id_, f"Level {value}", f"{value} US troops are in Iraq, officials said of {id_}.",
                        published=f"2021-01-{day:02d}" if day else None, events=[event])

    extractor_free_ingest(store, [report("undated", 900, None), report("later", 2500, 20), report("earlier", 5000, 2)])
    listed = store.search_events(EventQuery(location="iraq"))
    assert [(r.value, r.date is None) for r in listed] == [(5000, False), (2500, False), (900, True)]
    assert [r.value for r in store.search_events(EventQuery(location="Iraq", size=2))] == [5000, 2500]
