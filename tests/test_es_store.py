"""ElasticsearchStore against a real server over HTTP: osmem-server from PyPI, started by the
``es_cluster`` fixture, or the cluster at NEWSWORKER_TEST_ES_URL. What every store must do
is in test_store_contract.py; this file is what only the Elasticsearch store has: templates,
aliases and generations, bulk accounting, retries, and its CLI.
"""

from __future__ import annotations

import json
import shutil
import socket
import typing
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from tests.esproxy import EsProxy
from tests.esserver import TEST_API_KEY
from tests.test_store_contract import ALL, IRAQ, MIXED, RANGE, _article, _ent, _fig
from worker.errors import StoreError, TransientStoreError
from worker.models import Article, Entity, EventMention, Failure, Figure, SearchQuery
from worker.settings import DEFAULT_MAPPINGS_DIR, ElasticsearchSettings
from worker.store.es_client import hosts, where
from worker.store.es_templates import article_mapping, load_templates


@pytest.fixture
def store(es_cluster, es_prefix):
    made = es_cluster.store(es_prefix, backoff=0.01)
    made.setup()
    yield made
    made.close()


def _aliases(store) -> dict[str, dict]:
    return store.client.indices.get_alias(index=store.articles.pattern).body


# -- templates and setup ------------------------------------------------------------------


def test_setup_installs_templates_and_first_indices_behind_aliases(es_cluster, es_prefix):
    store = es_cluster.store(es_prefix)
    report = store.install()
    assert report.component_templates == [f"{es_prefix}-articles-mappings", f"{es_prefix}-events-mappings",
                                          f"{es_prefix}-failures-mappings", f"{es_prefix}-settings"]
    assert report.index_templates == [f"{es_prefix}-articles", f"{es_prefix}-events", f"{es_prefix}-failures"]
    assert report.created == [f"{es_prefix}-articles-v1", f"{es_prefix}-events-v1", f"{es_prefix}-failures"]
    aliases = _aliases(store)[f"{es_prefix}-articles-v1"]["aliases"]
    assert aliases[f"{es_prefix}-articles"] == {}
    assert aliases[f"{es_prefix}-articles-write"]["is_write_index"] is True
    events = store.client.indices.get_alias(index=f"{es_prefix}-events-v1").body[f"{es_prefix}-events-v1"]["aliases"]
    assert set(events) == {f"{es_prefix}-events", f"{es_prefix}-events-write", f"{es_prefix}-events-complete"}
    # The index got its mapping from the templates: nested figures, the English analyser.
    mapping = store.client.indices.get_mapping(index=f"{es_prefix}-articles-v1").body
    properties = next(iter(mapping.values()))["mappings"]["properties"]
    assert properties["figures"]["type"] == "nested"
    assert properties["body"]["analyzer"] == "newsworker_english"
    again = store.install()
    assert again.created == []
    assert set(again.existing) == {f"{es_prefix}-articles-v1", f"{es_prefix}-events-v1", f"{es_prefix}-failures"}
    store.close()


def test_setup_refuses_generations_no_alias_points_at(es_cluster, es_prefix):
    store = es_cluster.store(es_prefix)
    store.install()
    store.client.indices.update_aliases(actions=[
        {"remove": {"index": f"{es_prefix}-articles-v1", "alias": f"{es_prefix}-articles"}},
    ])
    with pytest.raises(StoreError, match=f"{es_prefix}-articles-v1 exist but the alias {es_prefix}-articles points at none"):
        store.install()
    store.close()


def test_templates_come_from_files_with_the_prefix_substituted(tmp_path):
    mappings = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR / "elasticsearch", mappings / "elasticsearch")
    templates = load_templates(mappings, "acme")
    articles = next(t for t in templates.index if t.name == "acme-articles")
    assert articles.body["index_patterns"] == ["acme-articles-v*"]
    assert articles.body["composed_of"] == ["acme-settings", "acme-articles-mappings"]
    (mappings / "elasticsearch" / "index_templates" / "articles.json").write_text("{not json")
    with pytest.raises(Exception, match="articles.json is not valid JSON"):
        load_templates(mappings, "acme")


def _model_fields(model: type[BaseModel]) -> dict[str, type | None]:
    """Field name -> the nested model it holds (for lists of models), else None."""
    fields: dict[str, type | None] = {}
    for name, info in model.model_fields.items():
        inner = [a for a in typing.get_args(info.annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        fields[name] = inner[0] if inner else None
    return fields


@pytest.mark.parametrize("model, template, path", [
    (Article, "articles-mappings", ()),
    (Entity, "articles-mappings", ("entities",)),
    (Figure, "articles-mappings", ("figures",)),
    (EventMention, "articles-mappings", ("events",)),
    (Failure, "failures-mappings", ()),
])
def test_every_model_field_is_mapped(model, template, path):
    templates = load_templates(DEFAULT_MAPPINGS_DIR, "newsworker")
    mapping = next(t for t in templates.component if t.path.stem == template).body["template"]["mappings"]
    for step in path:
        assert mapping["properties"][step]["type"] == "nested", f"{step} must be nested so conditions hold within one"
        mapping = mapping["properties"][step]
    assert mapping["dynamic"] == "strict"
    assert set(_model_fields(model)) <= set(mapping["properties"]), set(_model_fields(model)) - set(mapping["properties"])
    assert article_mapping(templates)["dynamic"] == "strict"


def test_a_fully_populated_article_fits_the_strict_mapping(store):
    full = IRAQ.model_copy(update={
        "url": "https://example.com/a", "canonical_url": "https://example.com/a", "feed_url": "https://example.com/feed",
        "standfirst": "Standfirst.", "published_from": "source", "authors": ["A. Writer"], "simhash": "0f0f",
        "duplicate_of": "other", "entities": [Entity(text="US", label="GPE", canonical="United States", iso_code="US", count=3, forms=["US", "U.S."])],
        "events": [EventMention(type="troop_level_change", key="k", actor="United States", location="Iraq", value=500,
                                from_value=3000, to_value=2500, delta=-500, measure=None, date=datetime(2021, 1, 15, tzinfo=timezone.utc),
                                sentence="Cut to 2,500.")],
    })
    assert [o.status for o in store.upsert([full])] == ["created"]
    assert store.get(full.id) == full


# -- bulk indexing ------------------------------------------------------------------------------


def test_bulk_upsert_is_idempotent(store):
    many = [_article(f"a{i}", f"Story {i}", f"Body {i} about 2,500 troops.", figures=[_fig(2500, "troops")]) for i in range(60)]
    assert {o.status for o in store.upsert(many)} == {"created"}
    assert {o.status for o in store.upsert(many)} == {"unchanged"}
    newer = [a.model_copy(update={"extractor_version": "next"}) for a in many[:10]]
    assert [o.status for o in store.upsert(newer)] == ["updated"] * 10
    assert store.stats().articles == 60
    assert store.count(store.versions().live) == 60


def test_an_id_repeated_in_one_call_is_written_in_order(store):
    edited = IRAQ.model_copy(update={"body": "Now 1,000 remain.", "content_hash": "edited"})
    outcomes = store.upsert([IRAQ, IRAQ, edited])
    assert [o.status for o in outcomes] == ["created", "unchanged", "updated"]
    assert store.get(IRAQ.id).body == "Now 1,000 remain."


def test_partial_bulk_failure_names_the_document_and_the_reason(store):
    # A mention count beyond the mapping's integer: Elasticsearch refuses this one document.
    absurd = _article("absurd", "Absurd count", "Text.", entities=[Entity(text="X", label="ORG", canonical="X", count=10**20)])
    outcomes = store.upsert([IRAQ, absurd, MIXED])
    assert [o.status for o in outcomes] == ["created", "failed", "created"]
    failed = outcomes[1]
    assert failed.id == "absurd" and failed.origin == "test:absurd"
    assert "document absurd refused by Elasticsearch (400)" in failed.reason
    assert "entities.count" in failed.reason or "out of range" in failed.reason
    assert store.get("absurd") is None
    assert store.stats().articles == 2


def test_ingest_reports_refused_documents_as_failures(es_cluster, es_prefix, tmp_path, extractor):
    from worker.ingest import ingest_documents
    from worker.models import RawDocument

    # A mapping that drifted from the model (language mapped as a date) refuses every article.
    mappings = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR / "elasticsearch", mappings / "elasticsearch")
    path = mappings / "elasticsearch" / "component_templates" / "articles-mappings.json"
    mapping = json.loads(path.read_text())
    mapping["template"]["mappings"]["properties"]["language"] = {"type": "date"}
    path.write_text(json.dumps(mapping))
    store = es_cluster.store(es_prefix, mappings)
    store.setup()
    doc = RawDocument(kind="text", origin="inbox/a.txt", text="Troops leave\n\nSome 2,500 US troops left Iraq on Friday, officials said.")
    report = ingest_documents([doc], store, extractor)
    assert report.indexed == [] and len(report.failed) == 1
    failure = report.failed[0]
    assert failure.origin == "inbox/a.txt" and failure.stage == "index"
    assert "refused by Elasticsearch (400)" in failure.reason and "language" in failure.reason
    assert store.stats().recent_failures[0].reason == failure.reason
    store.close()


def test_busy_documents_are_sent_again_until_accepted(es_cluster, es_prefix):
    with EsProxy(es_cluster.url) as proxy:
        store = es_cluster.store(es_prefix)
        store.setup()
        store = _through(proxy, es_cluster, es_prefix, retries=3)
        proxy.busy = {IRAQ.id: 2}
        assert [o.status for o in store.upsert(ALL)] == ["created"] * 3
        assert proxy.bulk_requests == 3  # the first round, then IRAQ alone twice
        assert store.get(IRAQ.id) == IRAQ
        store.close()


def test_documents_still_busy_after_the_retries_make_the_batch_transient(es_cluster, es_prefix):
    with EsProxy(es_cluster.url) as proxy:
        es_cluster.store(es_prefix).setup()
        store = _through(proxy, es_cluster, es_prefix, retries=2)
        proxy.busy = {MIXED.id: 10}
        with pytest.raises(TransientStoreError, match=f"rejected 1 of 3 documents as busy after 2 retries.*{MIXED.id}"):
            store.upsert(ALL)
        assert proxy.bulk_requests == 3
        # The others are in; the batch's retry finds them unchanged and writes the rest.
        proxy.busy = {}
        assert [o.status for o in store.upsert(ALL)] == ["unchanged", "created", "unchanged"]
        store.close()


def _through(proxy: EsProxy, es_cluster, prefix: str, retries: int):
    from worker.store.es_bulk import BulkPolicy
    from worker.store.elasticsearch import ElasticsearchStore

    # No CompatNode: the proxy rewrites the media types, as it would for any client.
    settings = ElasticsearchSettings(url=proxy.url, api_key=TEST_API_KEY, index_prefix=prefix, max_retries=0)
    store = ElasticsearchStore.from_settings(settings, DEFAULT_MAPPINGS_DIR)
    store.bulk = BulkPolicy(retries=retries, backoff=0.01)
    return store


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_transient_and_hides_the_password():
    from worker.store.elasticsearch import ElasticsearchStore

    settings = ElasticsearchSettings(url=f"http://elastic:s3cret@127.0.0.1:{_closed_port()}", max_retries=0)
    store = ElasticsearchStore.from_settings(settings, DEFAULT_MAPPINGS_DIR)
    for call in (store.setup, lambda: store.upsert([IRAQ]), lambda: store.search(SearchQuery(text="x")), store.versions):
        with pytest.raises(TransientStoreError, match=r"elastic:\*\*\*@127\.0\.0\.1.*unreachable") as caught:
            call()
        assert "s3cret" not in str(caught.value)


def test_several_urls_and_redaction():
    es = ElasticsearchSettings(url="https://u:pw@es1:9200, https://es2:9200,")
    assert hosts(es.url) == ["https://u:pw@es1:9200", "https://es2:9200"]
    assert where(es) == "https://u:***@es1:9200, https://es2:9200"


# -- generations: versions, swap, rollback, drop ----------------------------------------------------


def test_generations_swap_rollback_and_drop(store, es_prefix):
    store.upsert(ALL)
    first = store.versions()
    assert first.live.name == f"{es_prefix}-articles-v1" and first.previous is None
    assert [(v.version, v.articles) for v in first.kept] == [(1, 3)]

    target = store.create_next_version()
    assert (target.name, target.version, target.articles) == (f"{es_prefix}-articles-v2", 2, 0)
    assert store.versions().live.version == 1
    outcomes = store.load_into(target, list(store.iter_articles(batch_size=2)))
    assert [o.status for o in outcomes] == ["created"] * 3
    assert store.count(target) == 3
    with pytest.raises(StoreError, match="live generation"):
        store.load_into(first.live, [IRAQ])

    store.swap_to(target)
    swapped = store.versions()
    assert (swapped.live.version, swapped.previous.version) == (2, 1)
    aliases = _aliases(store)
    # v1 keeps only the mark of a generation that was complete: rollback may go back to it.
    assert aliases[f"{es_prefix}-articles-v1"]["aliases"] == {f"{es_prefix}-articles-complete": {}}
    assert aliases[f"{es_prefix}-articles-v2"]["aliases"][f"{es_prefix}-articles-write"]["is_write_index"] is True
    assert f"{es_prefix}-articles-complete" in aliases[f"{es_prefix}-articles-v2"]["aliases"]
    # Writes now land in v2 only; the old generation is kept as it was.
    store.upsert([_article("late", "Late story", "Troops again.", entities=[_ent("Iraq")])])
    assert store.count(target) == 4 and store.count(first.live) == 3
    assert store.search(SearchQuery(entity="Iraq")).total == 2

    restored = store.rollback()
    assert restored.version == 1
    after = store.versions()
    assert after.live.version == 1 and after.previous is None
    assert store.get("late") is None and store.get(RANGE.id) == RANGE
    with pytest.raises(StoreError, match="no earlier generation"):
        store.rollback()

    with pytest.raises(StoreError, match="live generation"):
        store.drop_version(after.live)
    # A rolled-back generation is never reused: the next one is v3.
    assert store.create_next_version().version == 3
    store.drop_version(target)
    assert [v.version for v in store.versions().kept] == [1, 3]


def test_swap_to_an_unknown_generation_is_refused(store, es_prefix):
    from worker.store.base import IndexVersion

    with pytest.raises(StoreError, match="does not exist"):
        store.swap_to(IndexVersion(name=f"{es_prefix}-articles-v9", version=9, articles=0))
    with pytest.raises(StoreError, match="not a generation"):
        store.drop_version(IndexVersion(name="someone-elses-index", version=1, articles=0))


# -- the CLI ------------------------------------------------------------------------------------------


def test_cli_es_setup_and_status(es_cluster, es_prefix, env_settings, monkeypatch):
    from worker.cli.main import cli

    with EsProxy(es_cluster.url) as proxy:
        env_settings()
        monkeypatch.setenv("NEWSWORKER_ES__URL", proxy.url)
        monkeypatch.setenv("NEWSWORKER_ES__INDEX_PREFIX", es_prefix)
        monkeypatch.setenv("NEWSWORKER_ES__API_KEY", TEST_API_KEY)
        runner = CliRunner()
        first = runner.invoke(cli, ["es", "setup"])
        assert first.exit_code == 0, first.output
        assert f"created {es_prefix}-articles-v1" in first.output
        assert "NEWSWORKER_STORE is not elasticsearch" in first.output
        again = runner.invoke(cli, ["es", "setup", "--json"])
        assert json.loads(again.output)["created"] == []
        status = runner.invoke(cli, ["es", "status"])
        assert status.exit_code == 0, status.output
        assert f"{es_prefix}-articles -> {es_prefix}-articles-v1; writes -> {es_prefix}-articles-v1" in status.output
        assert "templates:  7 installed" in status.output
        data = json.loads(runner.invoke(cli, ["es", "status", "--json"]).output)
        assert data["articles"]["live"]["name"] == f"{es_prefix}-articles-v1"


def test_cli_es_setup_unreachable_is_one_clear_line(env_settings, monkeypatch):
    from worker.cli.main import cli

    env_settings()
    monkeypatch.setenv("NEWSWORKER_ES__URL", f"http://elastic:s3cret@127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("NEWSWORKER_ES__MAX_RETRIES", "0")
    result = CliRunner().invoke(cli, ["es", "setup"])
    assert result.exit_code == 1
    assert "Error: Elasticsearch at http://elastic:***@127.0.0.1" in result.output
    assert "check NEWSWORKER_ES__URL" in result.output and "s3cret" not in result.output


def test_the_store_in_use_with_elasticsearch_selected(es_cluster, es_prefix, env_settings):
    from worker.store import make_store
    from worker.store.elasticsearch import ElasticsearchStore

    with EsProxy(es_cluster.url) as proxy:
        settings = env_settings(store="elasticsearch", es={"url": proxy.url, "api_key": TEST_API_KEY, "index_prefix": es_prefix})
        store = make_store(settings)
        assert isinstance(store, ElasticsearchStore)
        store.upsert([IRAQ])
        assert [h.id for h in store.search(SearchQuery(text="drawdown")).hits] == [IRAQ.id]
        store.close()


def test_setup_adds_the_fields_new_templates_bring_to_the_live_index(es_cluster, es_prefix, tmp_path):
    """An upgrade whose model gained a field: `es setup` puts it on the live generation, so
    the strict mapping takes the new documents without waiting for a reindex."""
    old = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR / "elasticsearch", old / "elasticsearch")
    component = old / "elasticsearch" / "component_templates" / "articles-mappings.json"
    body = json.loads(component.read_text(encoding="utf-8"))
    del body["template"]["mappings"]["properties"]["headline_only"]
    component.write_text(json.dumps(body), encoding="utf-8")
    before = es_cluster.store(es_prefix, mappings_dir=old)
    before.install()
    index = f"{es_prefix}-articles-v1"
    def live(store) -> dict:
        return next(iter(store.client.indices.get_mapping(index=index).body.values()))["mappings"]["properties"]

    assert "headline_only" not in live(before)
    article = _article("h1", "US troops leave", "US troops leave").model_copy(update={"headline_only": True})
    [refused] = before.upsert([article])
    assert refused.status == "failed" and "headline_only" in refused.reason  # the strict mapping
    before.close()
    after = es_cluster.store(es_prefix)
    report = after.install()
    assert report.mappings_updated == [index] and report.created == []
    assert live(after)["headline_only"]["type"] == "boolean"
    assert [o.status for o in after.upsert([article])] == ["created"]
    assert after.install().mappings_updated == []  # nothing new the second time
    after.close()
