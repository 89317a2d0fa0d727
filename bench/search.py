"""Search benchmark: the store's search against a bare top-10 query of the same words.

    .venv/bin/python bench/search.py [--sizes 20000,200000] [--repeat 7] [--cache /tmp/newsworker-bench-search]
                                     [--es-articles 5000] [--no-es] [--only KIND,...]

Articles: ``bench/index.py``'s seed-article generator with more variety: 300 sources, 40
places, publication times spread evenly over three years whatever the size, 10% of the
articles marked as near-copies of an earlier one, and words of known frequency: "troops"
is in every article, "convoy" (in the phrase "supply convoy") in 10%, "helicopter" in 1%
(random.Random(15): the same set every run). No spaCy: the benchmark measures search.
SQLite: one store per size, built once into --cache (upsert in batches of 1,000, then the
whole events rollup) and reused when present; a 200,000-article store takes several minutes
to build.
Query mix: words at 100%, 10% and 1%, a phrase, an entity, a figure range with a location,
an event type, a source with a date range, and a deep page (--offset 1000), each with and
without facets; then ``events --location``, ``events --location --type`` and
``show-event``. Each query runs once to warm up, then --repeat times; p50 and p95 of those.
Baseline, timed beside each run of a search: the bare FTS5 top-10 of the same words
(``SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY bm25(...) LIMIT 10``,
the store's own weights); for events, a bare read of one event record by its key. The
ratio is the query's p95 over the baseline's p50.
Elasticsearch: NEWSWORKER_ES__URL (with the other NEWSWORKER_ES__* settings) or
NEWSWORKER_TEST_ES_URL when set, else osmem-server started by the bench (reported as such:
osmem is an in-memory stand-in, its times say little about a real cluster). Its store is
built fresh each run with --es-articles articles; its baseline is a bare ``multi_match`` of
the same words, size 10, no highlight, aggregations or total.
A benchmark, not a test: the exit code is 0 whether or not the targets are met.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from index import _events, _figures, _seed, _vary  # noqa: E402  (the seed-article generator of bench/index.py)

from worker.models import Article, Entity, EventQuery, SearchQuery  # noqa: E402
from worker.normalize.identity import content_hash  # noqa: E402

# Bump when the generated articles change: the cached stores are named by it.
GENERATOR = "g1"
DEFAULT_CACHE = Path("/tmp/newsworker-bench-search")
BATCH = 1000
SPAN = timedelta(days=3 * 365)
START = datetime(2019, 1, 1, tzinfo=timezone.utc)

PLACES = ["Iraq", "Afghanistan", "Syria", "Poland", "Germany", "Niger", "Mali", "Somalia", "Yemen", "Jordan",
          "Lebanon", "Libya", "Sudan", "Chad", "Kenya", "Ethiopia", "Ukraine", "Romania", "Lithuania", "Latvia",
          "Estonia", "Japan", "South Korea", "Philippines", "Taiwan", "Kosovo", "Bosnia", "Cyprus", "Qatar",
          "Bahrain", "Kuwait", "Saudi Arabia", "Oman", "Djibouti", "Egypt", "Israel", "Turkey", "Spain", "Italy",
          "Norway"]
PEOPLE = ["Christopher Miller", "Donald Trump", "Lloyd Austin", "Mark Milley", "Jens Stoltenberg", "Joe Biden",
          "Antony Blinken", "Ben Wallace", "Olaf Scholz", "Emmanuel Macron"]
ORGS = ["ISIS", "US Department of Defense", "NATO", "Iraqi Security Forces", "AFP", "United Nations", "Red Cross",
        "African Union", "European Union", "Taliban"]
TOWNS = ["Abu Dhabi", "Boston", "Cairo", "Denver", "Essen", "Frankfurt", "Glasgow", "Houston", "Istanbul", "Jakarta",
         "Kyiv", "Lagos", "Madrid", "Nairobi", "Oslo", "Perth", "Quito", "Riga", "Seoul", "Toronto"]
MASTHEADS = ["Times", "Post", "Herald", "Gazette", "Tribune", "Courier", "Star", "Observer", "Chronicle", "Journal",
             "Mail", "Wire", "Express", "Standard", "Record"]
SOURCES = [f"{town} {mast}" for town in TOWNS for mast in MASTHEADS]  # 300 outlets
# Words of known frequency, in sentences the seed does not have.
SOMETIMES = ("A supply convoy reached the base at dawn, officials said.", 0.10)
RARELY = ("A medical helicopter landed near the border on the same day.", 0.01)
COPIES = 0.10


# -- the articles ---------------------------------------------------------------------------


def generate(count: int) -> Iterator[Article]:
    """``count`` articles, oldest first, built one at a time (200,000 do not fit in memory as models)."""
    rng = random.Random(15)
    title, standfirst, paragraphs = _seed()
    step = SPAN / count
    for n in range(count):
        body = paragraphs[:]
        rng.shuffle(body)
        for sentence, share in (SOMETIMES, RARELY):
            if rng.random() < share:
                body.insert(rng.randrange(len(body) + 1), sentence)
        text_title, text_body = _vary(title, rng), _vary("\n\n".join(body), rng)
        published = START + step * n
        names = rng.sample(PLACES, 3) + rng.sample(PEOPLE, 2) + rng.sample(ORGS, 2)
        entities = [Entity(text=name, label="GPE" if name in PLACES else "PERSON" if name in PEOPLE else "ORG",
                           canonical=name, count=rng.randint(1, 6), forms=[name]) for name in names]
        copy_of = f"bench-{rng.randrange(n):07d}" if n and rng.random() < COPIES else None
        yield Article(
            id=f"bench-{n:07d}", url=f"https://news.example/{n}", source=rng.choice(SOURCES), origin=f"bench#{n}",
            title=text_title, standfirst=_vary(standfirst, rng), body=text_body, published_at=published,
            published_from="source", language="en", content_hash=content_hash(text_title, text_body),
            extractor_version="bench", duplicate_of=copy_of, entities=entities, figures=_figures(rng, text_body, PLACES),
            events=_events(rng, published, PLACES, changes_to_level=True),
        )


def batches(articles: Iterator[Article], size: int = BATCH) -> Iterator[list[Article]]:
    batch: list[Article] = []
    for article in articles:
        batch.append(article)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- the query mix ----------------------------------------------------------------------------


def query_mix() -> list[tuple[str, SearchQuery]]:
    """(kind, query) pairs; every kind has words, so each has a bare baseline of the same words."""
    since, until = START + timedelta(days=365), START + timedelta(days=2 * 365)
    plain = {
        "word 100%": SearchQuery(text="troops"),
        "word 10%": SearchQuery(text="convoy"),
        "word 1%": SearchQuery(text="helicopter"),
        "phrase 10%": SearchQuery(text='"supply convoy"'),
        "entity": SearchQuery(text="troops", entity="Iraq"),
        "figure+location": SearchQuery(text="troops", figure_category="troops", figure_min=1000, figure_max=3000,
                                       location="Iraq"),
        "event type": SearchQuery(text="troops", event_type="casualties"),
        "source+dates": SearchQuery(text="troops", source=SOURCES[7], published_from=since, published_to=until),
        "deep page": SearchQuery(text="troops", offset=1000),
    }
    mix = []
    for kind, query in plain.items():
        mix.append((kind, query.model_copy(update={"facets": False})))
        mix.append((kind, query.model_copy(update={"facets": True})))
    return mix


@dataclass
class Row:
    kind: str
    facets: bool | None
    times: list[float]
    bare: list[float]
    total: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        return percentile(self.times, 0.95)

    @property
    def ratio(self) -> float:
        return self.p95 / max(statistics.median(self.bare), 1e-6)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: with few runs the p95 is the slowest run, never an interpolation below it."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(-(-share * len(ordered) // 1)) - 1))]


def timed(call: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = call()
    return (time.perf_counter() - start) * 1000, out


def measure(kind: str, facets: bool | None, run: Callable[[], object], bare: Callable[[], object], repeat: int,
            describe: Callable[[object], str] = lambda _: "") -> Row:
    run(), bare()  # warm-up: the first run pays for pages the next ones find cached
    row = Row(kind, facets, [], [])
    for _ in range(repeat):
        ms, _out = timed(bare)
        row.bare.append(ms)
        ms, out = timed(run)
        row.times.append(ms)
    row.total = describe(out)
    return row


def _total(result) -> str:
    relation = getattr(result, "total_relation", "eq")
    return f"{result.total:,}{'+' if relation == 'gte' else ''}"


def print_rows(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print(f"  {'query':<17} {'facets':<6} {'matches':>9} {'p50 ms':>9} {'p95 ms':>9} {'bare p50':>9} {'p95/bare':>9}")
    for r in rows:
        facets = "-" if r.facets is None else "yes" if r.facets else "no"
        print(f"  {r.kind:<17} {facets:<6} {r.total:>9} {r.p50:>9.1f} {r.p95:>9.1f} "
              f"{statistics.median(r.bare):>9.1f} {r.ratio:>9.2f}")


# -- SQLite -----------------------------------------------------------------------------------


def sqlite_store(size: int, cache: Path):
    """The cached store of ``size`` articles, built when missing (into a temporary name first,
    so an interrupted build is never taken for a whole one)."""
    from worker.rollup import whole_groups
    from worker.store import SqliteStore

    path = cache / f"search-{GENERATOR}-{size}.db"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = cache / f"building-{uuid.uuid4().hex[:8]}.db"
        store = SqliteStore(partial)
        store.setup()
        start = time.perf_counter()
        for n, batch in enumerate(batches(generate(size)), start=1):
            store.upsert(batch)
            if n % 20 == 0:
                print(f"  built {n * BATCH:,} of {size:,} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
        records = store.refresh_events(whole_groups(store.event_groups()))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        partial.rename(path)
        print(f"  built {path} in {time.perf_counter() - start:.0f} s ({records:,} event records)", file=sys.stderr)
    store = SqliteStore(path)
    store.setup()
    return store


def bare_fts(conn: sqlite3.Connection, text: str) -> Callable[[], object]:
    from worker.store.sqlite_query import BM25, fts_expression

    sql = f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY {BM25} LIMIT 10"
    match = fts_expression(text)
    return lambda: conn.execute(sql, (match,)).fetchall()


def event_rows(store, read_one: Callable[[str], object], repeat: int) -> list[Row]:
    listing = EventQuery(location="Iraq")
    key = store.search_events(listing)[0].key
    bare = lambda: read_one(key)  # noqa: E731
    return [
        measure("events --location", None, lambda: store.search_events(listing), bare, repeat,
                lambda out: f"{len(out):,}"),
        measure("events --loc --type", None, lambda: store.search_events(EventQuery(location="Iraq", type="casualties")),
                bare, repeat, lambda out: f"{len(out):,}"),
        measure("show-event", None, lambda: store.get_event(key), bare, repeat, lambda out: "1" if out else "0"),
    ]


def run_sqlite(size: int, cache: Path, repeat: int, only: set[str]) -> None:
    store = sqlite_store(size, cache)
    try:
        conn = store.conn
        rows = [measure(kind, q.facets, lambda q=q: store.search(q), bare_fts(conn, q.text), repeat, _total)
                for kind, q in query_mix() if not only or kind in only]
        read = lambda key: conn.execute("SELECT doc FROM event_records WHERE key = ?", (key,)).fetchone()  # noqa: E731
        if not only or "events" in only:
            rows += event_rows(store, read, repeat)
        print_rows(f"SqliteStore, {size:,} articles ({store.path}), {repeat} runs each:", rows)
    finally:
        store.close()


# -- Elasticsearch ----------------------------------------------------------------------------


def run_es(size: int, repeat: int, only: set[str]) -> None:
    from index import Cluster

    from worker.rollup import whole_groups
    from worker.store.es_query import TEXT_FIELDS, terms

    cluster = Cluster()
    store = cluster.store(f"bench-search-{uuid.uuid4().hex[:8]}")
    try:
        start = time.perf_counter()
        for batch in batches(generate(size), 500):
            store.upsert(batch)
        store.refresh_events(whole_groups(store.event_groups()))
        store.client.indices.refresh(index=f"{store.layout.prefix}-*")
        print(f"  indexed {size:,} articles into {cluster.label} in {time.perf_counter() - start:.0f} s", file=sys.stderr)

        def bare(text: str) -> Callable[[], object]:
            must = [{"multi_match": {"query": t, "type": "phrase", "fields": TEXT_FIELDS}} for t in terms(text)]
            body = {"query": {"bool": {"must": must}}, "size": 10, "track_total_hits": False, "_source": False}
            return lambda: store.client.search(index=store.articles.read_alias, body=body)

        rows = [measure(kind, q.facets, lambda q=q: store.search(q), bare(q.text), repeat, _total)
                for kind, q in query_mix() if not only or kind in only]
        if not only or "events" in only:
            rows += event_rows(store, lambda key: store.client.search(
                index=store.layout.events.read_alias, body={"query": {"ids": {"values": [key]}}, "size": 1}), repeat)
        print_rows(f"ElasticsearchStore, {size:,} articles ({cluster.label}), {repeat} runs each:", rows)
    finally:
        cluster.drop(store)
        cluster.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,200000", help="SQLite store sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each query after one warm-up")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="folder of the built SQLite stores")
    parser.add_argument("--es-articles", type=int, default=5000, help="articles in the Elasticsearch store (0: skip)")
    parser.add_argument("--no-es", action="store_true", help="SQLite only")
    parser.add_argument("--only", default="", help="query kinds to run, comma-separated ('events' for the events rows)")
    args = parser.parse_args()
    only = {k.strip() for k in args.only.split(",") if k.strip()}

    print(f"machine: {platform.python_implementation()} {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"{os.cpu_count()} CPUs")
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        run_sqlite(size, args.cache, args.repeat, only)
    if not args.no_es and args.es_articles:
        run_es(args.es_articles, args.repeat, only)


if __name__ == "__main__":
    main()
