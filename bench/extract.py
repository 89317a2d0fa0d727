"""Extraction benchmark: the whole extract stage against a bare ``nlp.pipe`` of the same model.

    .venv/bin/python bench/extract.py [--articles 300] [--batch-size 64] [--from DIR]

Articles: from DIR when given (``--from tests/data/articles``: the full-length articles,
txt and whole HTML pages), else from ../shared/corpus/articles (beside the repository) when that
folder exists, read with worker.sources.files.read_file (the rest of ../shared/corpus is feeds
and feed pages, not articles, and is never read); otherwise built from the project's own texts, the
seed article (seeds/000_*.txt) and the items of seeds/feed.xml, each copy with its body
paragraphs shuffled and every figure's digits replaced (random.Random(7), so the set is
the same on every run and no two texts are equal). Each is normalized with
worker.normalize.normalize, as the ingest path does.
Baseline: bare ``nlp.pipe`` of the model in settings (NEWSWORKER_SPACY_MODEL), components
the extractor does not need disabled, over exactly the texts the extractor parses (title,
standfirst when there is one, body), same batch size, docs consumed and dropped.
Extractor: ``Extractor(nlp, batch_size).extract_many(articles)``: the same parse plus
entities, figures and the Article copies.
Both are warmed up once on a few articles, then timed alternately (baseline, extractor,
three times each); the best run of each counts. Target: extractor/baseline >= 0.8.
A benchmark, not a test: the exit code is 0 whether or not the target is met.
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import sys
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import spacy
from timing import alternate  # noqa: E402

from worker.errors import InputError
from worker.extract import Extractor, load_model
from worker.feeds.parse import parse_feed
from worker.models import Article, Failure, RawDocument
from worker.normalize import normalize
from worker.settings import Settings
from worker.sources.files import expand_paths, read_file
from worker.sources.metadata import Overrides

try:
    from worker.extract.nlp import NEEDED_PIPES
except ImportError:  # the extract package is being reworked; these are what it reads
    NEEDED_PIPES = {"tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"}

# Only the corpus's article folder: its other folders hold feeds, which are no articles.
CORPUS_ARTICLES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles"
SEEDS = ROOT / "seeds"
RUNS = 3
WARMUP_ARTICLES = 8
TARGET = 0.8
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


# -- the articles ---------------------------------------------------------------------------


def vary_figures(text: str, rng: random.Random) -> str:
    """Every number in ``text`` with other digits, same shape (commas, decimals, years stay years)."""

    def other(match: re.Match[str]) -> str:
        number = match.group()
        if len(number) == 4 and number[:2] in ("19", "20"):
            return str(rng.randint(1990, 2025))
        digits = [str(rng.randint(0, 9)) if c.isdigit() else c for c in number]
        digits[0] = str(rng.randint(1, 9))
        return "".join(digits)

    return _NUMBER.sub(other, text)


def seed_templates() -> list[tuple[str, str, list[str]]]:
    """(title, standfirst, body paragraphs) of the seed article and of each feed item."""
    templates = []
    for path in sorted(SEEDS.glob("*.txt")):
        paragraphs = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        templates.append((paragraphs[0], paragraphs[1], paragraphs[2:]))
    feed = parse_feed("file://" + str(SEEDS / "feed.xml"), (SEEDS / "feed.xml").read_bytes())
    for item in feed.items:
        paragraphs = [p.strip() for p in item.text.split("\n\n") if p.strip()]
        templates.append((item.title or "", item.summary, paragraphs))
    return templates


def seed_documents(count: int, rng: random.Random) -> list[RawDocument]:
    templates = seed_templates()
    docs = []
    for n in range(count):
        title, standfirst, paragraphs = templates[n % len(templates)]
        body = paragraphs[:]
        rng.shuffle(body)
        text = "\n\n".join([title, standfirst, *body])
        docs.append(RawDocument(kind="text", origin=f"bench-seed-{n:04d}", text=vary_figures(text, rng)))
    return docs


def corpus_documents(count: int, rng: random.Random, max_bytes: int, folder: Path = CORPUS_ARTICLES) -> list[RawDocument]:
    """Article files of a folder (README, notes and annotations skipped), repeated with other figures if few."""
    files, _ = expand_paths([folder])
    files = [f for f in files if not f.name.lower().startswith(("readme", "annotations", "baseline"))]
    found: list[RawDocument] = []
    for path in files:
        found.extend(d for d in read_file(path, Overrides(), max_bytes, roots=[folder]) if isinstance(d, RawDocument))
        if len(found) >= count:
            break
    docs = found[:count]
    for n in range(len(docs), count if found else 0):
        original = found[n % len(found)]
        docs.append(original.model_copy(update={"origin": f"{original.origin}~{n}", "text": vary_figures(original.text, rng)}))
    return docs


def build_articles(count: int, settings: Settings, folder: Path | None = None) -> tuple[list[Article], str]:
    rng = random.Random(7)
    folder = folder or CORPUS_ARTICLES
    docs = corpus_documents(count, rng, settings.max_file_bytes, folder) if folder.is_dir() else []
    source = f"{folder} ({len(docs)} documents)"
    if not docs:
        docs = seed_documents(count, rng)
        why = "does not exist" if not folder.is_dir() else "holds no articles"
        source = f"seeds/ (seed article and feed items, paragraphs shuffled, figures varied; {folder} {why})"
    articles = []
    for doc in docs:
        try:
            articles.append(normalize(doc))
        except InputError:
            continue
    return articles, source


def parsed_texts(articles: list[Article]) -> list[str]:
    """What the extractor hands to nlp.pipe: title, standfirst when non-empty, body."""
    return [text for a in articles for text in (a.title, a.standfirst, a.body) if text.strip()]


# -- the two contestants ----------------------------------------------------------------------


def run_baseline(nlp, texts: list[str], batch_size: int) -> float:
    start = time.perf_counter()
    deque(nlp.pipe(texts, batch_size=batch_size), maxlen=0)
    return time.perf_counter() - start


def run_extractor(extractor: Extractor, articles: list[Article]) -> tuple[float, list[Article | Failure]]:
    start = time.perf_counter()
    results = extractor.extract_many(articles)
    return time.perf_counter() - start, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--from", dest="folder", type=Path, help="Read the articles from this folder (recursively).")
    args = parser.parse_args()

    settings = Settings()
    articles, source = build_articles(args.articles, settings, args.folder.resolve() if args.folder else None)
    texts = parsed_texts(articles)
    nlp = load_model(settings.spacy_model)
    unused = [pipe for pipe in nlp.pipe_names if pipe not in NEEDED_PIPES]
    extractor = Extractor(nlp, batch_size=args.batch_size)
    print(f"articles:       {len(articles)} from {source}")
    print(f"texts parsed:   {len(texts)}, {sum(map(len, texts)):,} characters")
    print(f"model:          {settings.spacy_model}, pipes {', '.join(nlp.pipe_names)}"
          + (f" (disabled for the baseline: {', '.join(unused)})" if unused else ""))

    with nlp.select_pipes(disable=unused):
        run_baseline(nlp, parsed_texts(articles[:WARMUP_ARTICLES]), args.batch_size)
    run_extractor(extractor, articles[:WARMUP_ARTICLES])

    results: list[Article | Failure] = []

    def baseline() -> float:
        with nlp.select_pipes(disable=unused):
            return run_baseline(nlp, texts, args.batch_size)

    def extraction() -> float:
        seconds, out = run_extractor(extractor, articles)
        results[:] = out
        return seconds

    base_times, extract_times = alternate(RUNS, baseline, extraction)
    base_rate = len(articles) / min(base_times)
    extract_rate = len(articles) / min(extract_times)
    done = [r for r in results if isinstance(r, Article)]
    failures = [r for r in results if isinstance(r, Failure)]
    print(f"baseline runs:  {', '.join(f'{t:.2f}s' for t in base_times)}")
    print(f"extractor runs: {', '.join(f'{t:.2f}s' for t in extract_times)}")
    print(f"baseline:       {base_rate:,.1f} articles/s (bare nlp.pipe, batch size {args.batch_size}, best of {RUNS})")
    print(f"extractor:      {extract_rate:,.1f} articles/s (Extractor.extract_many, best of {RUNS})")
    print(f"ratio extractor/baseline: {extract_rate / base_rate:.2f}  (target >= {TARGET})")
    print(f"found:          {sum(len(a.figures) for a in done):,} figures, {sum(len(a.entities) for a in done):,} entities, "
          f"{sum(len(a.events) for a in done):,} events in {len(done)} articles; {len(failures)} failures")
    if failures:
        print("first failure:", failures[0].line())
    print(f"versions:       Python {platform.python_version()}, spaCy {spacy.__version__}")


if __name__ == "__main__":
    main()
