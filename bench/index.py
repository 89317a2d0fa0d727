"""Indexing benchmark: ElasticsearchStore.upsert against the client's bare ``helpers.bulk``.

    .venv/bin/python bench/index.py [--articles 20000] [--batch-size 500] [--runs 3] [--store elasticsearch|sqlite]

Articles: generated from the seed article (seeds/000_*.txt): paragraphs shuffled, every
number replaced, and entities, figures and events drawn from small pools
(random.Random(7): the same set every run). No spaCy: the benchmark measures indexing.
Cluster: NEWSWORKER_ES__URL (with the other NEWSWORKER_ES__* settings) or
NEWSWORKER_TEST_ES_URL when set; otherwise the bench starts osmem-server (the PyPI
package the tests use) and talks to it through the tests' CompatNode.
Store: ``ElasticsearchStore.upsert`` in batches of --batch-size, as the worker calls it
(one mget of fingerprints, one streaming bulk through the write alias, refresh=wait_for),
into a fresh installation (templates + first index) per run.
Baseline: ``elasticsearch.helpers.bulk`` of the same articles (``model_dump(mode="json")``
in its generator, chunks of 500) into a fresh index made from the same templates, then
one refresh, so both end with every document searchable (--bare-chunk sets the chunk size).
Each runs --runs times, alternating; the best run of each counts. Target: store/bare >= 0.8.
With --store sqlite: SqliteStore.upsert in the same batches into a fresh file; there is
no bare baseline for SQLite, so only docs/s is printed.
A benchmark, not a test: the exit code is 0 whether or not the target is met.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import elasticsearch
from timing import alternate  # noqa: E402
from elasticsearch import helpers

from worker.models import Article, Entity, EventMention, Figure
from worker.normalize.identity import content_hash
from worker.settings import Settings

SEED = next((ROOT / "seeds").glob("000_*.txt"))
TARGET = 0.8
BARE_CHUNK = 500
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")

PLACES = ["Iraq", "Afghanistan", "Syria", "Poland", "Germany", "Niger", "Mali", "Somalia", "Yemen", "Jordan"]
PEOPLE = ["Christopher Miller", "Donald Trump", "Lloyd Austin", "Mark Milley", "Jens Stoltenberg"]
ORGS = ["ISIS", "US Department of Defense", "NATO", "Iraqi Security Forces", "AFP"]
SOURCES = ["The National", "Wire", "Daily Planet", "Evening Post", "Gazette"]
CATEGORIES = ["troops", "killed", "injured", "people", "money", "percent", "other"]
QUALIFIERS = ["exact", "approx", "at_least", "at_most"]


# -- the articles ---------------------------------------------------------------------------


def _seed() -> tuple[str, str, list[str]]:
    paragraphs = [p.strip() for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return paragraphs[0], paragraphs[1], paragraphs[2:]


def _vary(text: str, rng: random.Random) -> str:
    def other(match: re.Match[str]) -> str:
        digits = [str(rng.randint(0, 9)) if c.isdigit() else c for c in match.group()]
        digits[0] = str(rng.randint(1, 9))
        return "".join(digits)

    return _NUMBER.sub(other, text)


def _figures(rng: random.Random, body: str, places: list[str] = PLACES) -> list[Figure]:
    figures = []
    for _ in range(rng.randint(2, 8)):
        value = float(rng.choice([rng.randint(1, 99), rng.randint(100, 5000), rng.randint(5000, 100_000)]))
        qualifier = rng.choice(QUALIFIERS + ["range"])
        start = rng.randint(0, max(0, len(body) - 40))
        figures.append(Figure(
            value=value, value_max=value * 1.5 if qualifier == "range" else None, text=f"{value:,.0f}",
            counts=rng.choice(["US service members", "troops", "people", "civilians", "dollars"]),
            category=rng.choice(CATEGORIES), qualifier=qualifier, location=rng.choice(places + [None]),
            role=rng.choice(["level", "change", "previous_level", "other"]), sentence=body[start : start + 160],
            start=start, end=start + 5,
        ))
    return figures


def _events(rng: random.Random, published: datetime, places: list[str] = PLACES,
            changes_to_level: bool = False) -> list[EventMention]:
    """``changes_to_level``: a change states the level it reaches (bench/search.py's rollup)."""
    events = []
    for _ in range(rng.randint(0, 2)):
        place, value = rng.choice(places), float(rng.randint(100, 5000))
        kind = rng.choice(["troop_level", "troop_level_change", "casualties"])
        to_value = value if changes_to_level and kind == "troop_level_change" else None
        events.append(EventMention(
            type=kind, key=f"{kind}:us:{place.lower()}:{value:.0f}:{published:%Y-%m}", actor="United States",
            location=place, value=value, to_value=to_value, date=published, sentence=f"{value:,.0f} in {place}.",
        ))
    return events


def generate(count: int) -> list[Article]:
    rng = random.Random(7)
    title, standfirst, paragraphs = _seed()
    start = datetime(2019, 1, 1, tzinfo=timezone.utc)
    articles = []
    for n in range(count):
        body = paragraphs[:]
        rng.shuffle(body)
        text_title, text_body = _vary(title, rng), _vary("\n\n".join(body), rng)
        published = start + timedelta(minutes=37 * n)
        names = rng.sample(PLACES, 3) + rng.sample(PEOPLE, 2) + rng.sample(ORGS, 2)
        entities = [Entity(text=name, label="GPE" if name in PLACES else "PERSON" if name in PEOPLE else "ORG",
                           canonical=name, count=rng.randint(1, 6), forms=[name]) for name in names]
        articles.append(Article(
            id=f"bench-{n:06d}", url=f"https://news.example/{n}", source=rng.choice(SOURCES), origin=f"bench#{n}",
            title=text_title, standfirst=_vary(standfirst, rng), body=text_body, published_at=published,
            published_from="source", language="en", content_hash=content_hash(text_title, text_body),
            extractor_version="bench", entities=entities, figures=_figures(rng, text_body),
            events=_events(rng, published),
        ))
    return articles


def _batches(articles: list[Article], size: int) -> Iterator[list[Article]]:
    for i in range(0, len(articles), size):
        yield articles[i : i + size]


# -- Elasticsearch ----------------------------------------------------------------------------


class Cluster:
    """Where the bench indexes: the configured cluster, or an osmem-server it starts itself."""

    def __init__(self) -> None:
        self.osmem = None
        self.es = Settings().es
        test_url = os.environ.get("NEWSWORKER_TEST_ES_URL", "")
        if os.environ.get("NEWSWORKER_ES__URL"):
            self.node_class, self.label = None, "NEWSWORKER_ES__URL"
        elif test_url:
            self.es = self.es.model_copy(update={"url": test_url})
            self.node_class, self.label = None, "NEWSWORKER_TEST_ES_URL"
        else:
            from tests.esserver import CompatNode, OsmemProcess

            self.osmem = OsmemProcess()
            self.es = self.es.model_copy(update={"url": self.osmem.url, "api_key": "", "username": "", "password": ""})
            self.node_class, self.label = CompatNode, "osmem-server started by the bench"

    def store(self, prefix: str):
        from worker.store.elasticsearch import ElasticsearchStore

        store = ElasticsearchStore.from_settings(self.es.model_copy(update={"index_prefix": prefix}), Settings().mappings_dir, self.node_class)
        store.setup()
        return store

    def drop(self, store) -> None:
        client, prefix = store.client, store.layout.prefix
        names = sorted(client.indices.get_alias(index=f"{prefix}-*").body)
        if names:
            client.indices.delete(index=",".join(names))
        for t in client.indices.get_index_template(name=f"{prefix}-*").body.get("index_templates", []):
            client.indices.delete_index_template(name=t["name"])
        for t in client.cluster.get_component_template(name=f"{prefix}-*").body.get("component_templates", []):
            client.cluster.delete_component_template(name=t["name"])
        store.close()

    def close(self) -> None:
        if self.osmem is not None:
            self.osmem.stop()


def run_store(cluster: Cluster, articles: list[Article], batch_size: int) -> float:
    store = cluster.store(f"bench-{uuid.uuid4().hex[:8]}")
    try:
        start = time.perf_counter()
        statuses = [o.status for batch in _batches(articles, batch_size) for o in store.upsert(batch)]
        seconds = time.perf_counter() - start
        assert statuses.count("created") == len(articles), f"store: {len(articles) - statuses.count('created')} not created"
        assert store.stats().articles == len(articles)
        return seconds
    finally:
        cluster.drop(store)


def run_bare(cluster: Cluster, articles: list[Article], chunk: int) -> float:
    store = cluster.store(f"bench-{uuid.uuid4().hex[:8]}")
    try:
        index = store.create_next_version().name  # same templates, no alias in the way
        actions = ({"_index": index, "_id": a.id, "_source": a.model_dump(mode="json")} for a in articles)
        start = time.perf_counter()
        ok, errors = helpers.bulk(store.client, actions, chunk_size=chunk)
        store.client.indices.refresh(index=index)
        seconds = time.perf_counter() - start
        assert ok == len(articles) and not errors, f"bare: {errors}"
        return seconds
    finally:
        cluster.drop(store)


# -- SQLite -----------------------------------------------------------------------------------


def run_sqlite(articles: list[Article], batch_size: int) -> float:
    from worker.store import SqliteStore

    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "bench.db")
        store.setup()
        start = time.perf_counter()
        for batch in _batches(articles, batch_size):
            store.upsert(batch)
        seconds = time.perf_counter() - start
        assert store.stats().articles == len(articles)
        store.close()
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500, help="articles per upsert call (default 500)")
    parser.add_argument("--bare-chunk", type=int, default=BARE_CHUNK, help="documents per bare bulk request (default 500)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", choices=["elasticsearch", "sqlite"], default="elasticsearch")
    args = parser.parse_args()

    articles = generate(args.articles)
    figures = sum(len(a.figures) for a in articles)
    print(f"articles:     {len(articles):,} generated from {SEED.name} ({figures:,} figures), "
          f"upsert batches of {args.batch_size}, bare bulk chunks of {args.bare_chunk}")
    print(f"machine:      {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    if args.store == "sqlite":
        times = alternate(args.runs, lambda: run_sqlite(articles, args.batch_size))[0]
        print(f"sqlite runs:  {', '.join(f'{t:.2f}s' for t in times)}")
        print(f"SqliteStore:  {len(articles) / min(times):,.0f} docs/s (no bare baseline for SQLite)")
        return

    cluster = Cluster()
    try:
        print(f"cluster:      {cluster.label}, elasticsearch client {elasticsearch.__versionstr__}")
        bare_times, store_times = alternate(
            args.runs, lambda: run_bare(cluster, articles, args.bare_chunk), lambda: run_store(cluster, articles, args.batch_size)
        )
    finally:
        cluster.close()
    bare_rate, store_rate = len(articles) / min(bare_times), len(articles) / min(store_times)
    print(f"bare runs:    {', '.join(f'{t:.2f}s' for t in bare_times)}")
    print(f"store runs:   {', '.join(f'{t:.2f}s' for t in store_times)}")
    print(f"bare bulk:    {bare_rate:,.0f} docs/s")
    print(f"store upsert: {store_rate:,.0f} docs/s")
    ratio = store_rate / bare_rate
    print(f"ratio:        {ratio:.2f} (target >= {TARGET}: {'met' if ratio >= TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()
