"""End-to-end ingest benchmark: seed-style articles through a real Celery worker and real Redis
into the SQLite store, against bare extraction of the same articles in this process.

    .venv/bin/python bench/e2e.py [--articles 200] [--files-per-task 25] [--concurrency 1] [--runs 3]

Articles: bench/extract.py's generator (the seed article and the items of seeds/feed.xml,
body paragraphs shuffled, every figure's digits replaced, random.Random(7)), written as
.txt files laid out like seeds/. Each run gets articles of its own (no run finds the
previous one's already stored); the two contestants of a run get the same ones.
Worker: `celery -A worker.celery_app worker` (prefork, --concurrency, log level INFO) on the
real Redis; the files are sent as `newsworker ingest` sends them (ingest_paths tasks of
--files-per-task files) and the clock runs from the first enqueue to the last result.
That is the whole pipeline: broker round trip, read, normalize, near-duplicate linking,
extraction, SQLite upsert, events rollup, result backend.
Baseline: ``Extractor.extract_many`` of the same articles, normalized beforehand, in this
process (one core). Both warm up first (the worker loads spaCy and creates the store);
then they run alternately, --runs times each; the best run of each counts.
Target: worker/bare >= 0.8 at --concurrency 1 (the pipeline around extraction costs at
most a fifth). A benchmark, not a test: the exit code is 0 whether or not it is met.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from extract import seed_documents  # noqa: E402  (bench/extract.py: the shared generator)
from timing import alternate  # noqa: E402

REDIS_URL = os.environ.get("NEWSWORKER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
WARMUP_ARTICLES = 25
TARGET = 0.8


def write_articles(docs, folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for n, doc in enumerate(docs):
        path = folder / f"{n:05d}.txt"
        path.write_text(doc.text, encoding="utf-8")
        paths.append(path)
    return paths


def start_worker(workdir: Path, queue: str, concurrency: int) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "worker.celery_app", "worker", "-Q", queue,
         "--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", "INFO",
         "--without-gossip", "--without-mingle", "-n", f"{queue}@%h"],
        env={**os.environ}, cwd=workdir, stdout=subprocess.DEVNULL, stderr=open(workdir / "worker.log", "w"),
    )


def run_worker(app, paths: list[Path], files_per_task: int, timeout: float):
    """Send the files as the CLI does and wait for every batch; (seconds, merged BatchReport)."""
    from worker.cli import dispatch

    batches = dispatch.chunks(paths, files_per_task)
    began = time.perf_counter()
    results = dispatch.enqueue(app, batches, {})
    report = dispatch.collect(results, timeout, lambda n: None, [len(b) for b in batches])
    seconds = time.perf_counter() - began
    for result in results:
        result.forget()  # the bench's Redis database keeps no result keys behind
    return seconds, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200, help="articles per run")
    parser.add_argument("--files-per-task", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=1, help="worker processes (prefork)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64, help="spaCy batch size of the bare baseline")
    args = parser.parse_args()

    workdir, queue = bench_workdir("e2e", NEWSWORKER_FILES_PER_TASK=str(args.files_per_task))

    from worker.celery_app import create_app
    from worker.extract import Extractor, load_model
    from worker.normalize import normalize
    from worker.settings import Settings

    settings = Settings()
    docs = seed_documents(WARMUP_ARTICLES + args.articles * args.runs, random.Random(7))
    warm_docs, run_docs = docs[:WARMUP_ARTICLES], docs[WARMUP_ARTICLES:]
    sets = [run_docs[k * args.articles:(k + 1) * args.articles] for k in range(args.runs)]
    warm_paths = write_articles(warm_docs, workdir / "articles" / "warmup")
    run_paths = [write_articles(s, workdir / "articles" / f"run{k}") for k, s in enumerate(sets)]
    run_articles = [[normalize(d) for d in s] for s in sets]

    worker = start_worker(workdir, queue, args.concurrency)
    try:
        app = create_app(settings)
        extractor = Extractor(load_model(settings.spacy_model), batch_size=args.batch_size)
        print(f"articles:   {args.articles} per run x {args.runs} runs, from seeds/ (bench/extract.py's generator); "
              f"{sum(len(d.text) for d in sets[0]) / args.articles:,.0f} characters each on average", flush=True)
        print("warm-up:    the worker loads spaCy and creates the store ...", flush=True)
        extractor.extract_many([normalize(d) for d in warm_docs])
        run_worker(app, warm_paths, args.files_per_task, timeout=600)

        rounds = {"bare": 0, "worker": 0}
        reports = []

        def bare() -> float:
            articles = run_articles[rounds["bare"]]
            rounds["bare"] += 1
            began = time.perf_counter()
            extractor.extract_many(articles)
            return time.perf_counter() - began

        def through_worker() -> float:
            paths = run_paths[rounds["worker"]]
            rounds["worker"] += 1
            seconds, report = run_worker(app, paths, args.files_per_task, timeout=3600)
            reports.append(report)
            return seconds

        bare_times, worker_times = alternate(args.runs, bare, through_worker)
        bare_rate = args.articles / min(bare_times)
        worker_rate = args.articles / min(worker_times)
        print(f"bare runs:   {', '.join(f'{t:.2f}s' for t in bare_times)}")
        print(f"worker runs: {', '.join(f'{t:.2f}s' for t in worker_times)}")
        for k, report in enumerate(reports):
            print(f"run {k + 1}:      {len(report.indexed)} indexed, {len(report.duplicates)} already present, "
                  f"{len(report.failed)} failed")
        print(f"bare:        {bare_rate:,.1f} articles/s (Extractor.extract_many in this process, best of {args.runs})")
        print(f"worker:      {worker_rate:,.1f} articles/s (celery prefork --concurrency {args.concurrency}, real Redis, "
              f"SQLite store, {args.files_per_task} files per task, best of {args.runs})")
        print(f"ratio worker/bare: {worker_rate / bare_rate:.2f}  (target >= {TARGET} at --concurrency 1)")
        failed = [f for r in reports for f in r.failed]
        if failed:
            print("first failure:", failed[0].line())
    finally:
        stop_worker(worker, queue)


def bench_workdir(name: str, **settings: str) -> tuple[Path, str]:
    """A fresh folder (made the current one) and queue of this run, the worker settings in the
    environment (the worker process inherits them): broker on the real Redis, store in the folder."""
    workdir = Path(tempfile.mkdtemp(prefix=f"newsworker-bench-{name}-"))
    queue = f"bench-{name}-{uuid.uuid4().hex[:6]}"
    os.environ.update({
        "NEWSWORKER_BROKER_URL": REDIS_URL,
        "NEWSWORKER_QUEUE": queue,
        "NEWSWORKER_DATA_DIR": str(workdir / "var"),
        "NEWSWORKER_SETTLE_SECONDS": "0",  # the bench writes its files just before sending them
        "NEWSWORKER_FEEDS__REGISTRY": str(workdir / "feeds.toml"),
        **settings,
    })
    os.chdir(workdir)
    return workdir, queue


def stop_worker(worker: subprocess.Popen, queue: str) -> None:
    """Stop the bench's worker and remove its queue from Redis."""
    worker.terminate()
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        client.delete(*(client.keys(f"*{queue}*") or ["-"]))
    except Exception as exc:  # the numbers are printed; a leftover key is only untidy
        print(f"note: could not purge the bench queue: {exc}")


if __name__ == "__main__":
    main()
