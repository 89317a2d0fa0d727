"""Reindex scaling benchmark: a fanned-out reindex with one Celery worker process, then two.

    .venv/bin/python bench/reindex.py [--articles 2000] [--chunk-size 100] [--workers 1,2]

A SQLite store of --articles short articles (three sentences with troop figures, places drawn
from a small pool with random.Random(7): the same set every run), stored as an older
extractor left them. For each worker count N: a copy of that store, one real worker
(`celery -A worker.celery_app worker --pool prefork --concurrency N -Q <reindex queue>`, real
Redis at NEWSWORKER_TEST_REDIS_URL or 127.0.0.1:6379/15, a queue of its own), and the
coordinator here (worker.reindex.run dispatching newsworker.reindex_chunk tasks, as the
coordinator task does). A first, unmeasured reindex loads spaCy in every pool process; the
second is timed from the start of the run to the swap. Prints articles/s for each N and the
ratio of the largest N to 1. Target: 2 workers / 1 worker >= 1.7 on a 2-core machine.
A benchmark, not a test: the exit code is 0 whether or not the target is met.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from worker import locks  # noqa: E402
from worker import reindex as reindexing  # noqa: E402
from worker.celery_app import create_app  # noqa: E402
from worker.extract import EXTRACTOR_VERSION  # noqa: E402
from worker.models import Article, utc_now  # noqa: E402
from worker.normalize.identity import content_hash  # noqa: E402
from worker.reindex.runs import Runs, run_key  # noqa: E402
from worker.settings import Settings  # noqa: E402
from worker.store import SqliteStore  # noqa: E402
from worker.tasks import _send_chunk  # noqa: E402

TARGET = 1.7
REDIS_URL = os.environ.get("NEWSWORKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PLACES = ["Iraq", "Afghanistan", "Syria", "Poland", "Germany", "Niger", "Mali", "Somalia", "Yemen", "Jordan"]
READY_SECONDS = 120.0


def articles(n: int) -> list[Article]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        place, other = rng.sample(PLACES, 2)
        level, before = rng.randrange(500, 9000, 100), rng.randrange(9000, 20000, 500)
        body = (f"The United States will cut its troops in {place} to {level:,} from about {before:,}, "
                f"the Pentagon said on Friday. Some {rng.randrange(100, 900)} soldiers will move to {other}. "
                f"Officials said {rng.randrange(2, 40)} people were injured in an attack near the base (report {i}).")
        title = f"US cuts troops in {place} to {level:,} ({i})"
        out.append(Article(id=f"bench-{i:05d}", url=f"https://bench.test/{i}", canonical_url=f"https://bench.test/{i}",
                           source="Bench Wire", title=title, body=body, language="en", ingested_at=utc_now(),
                           content_hash=content_hash(title, body), extractor_version="0-before-upgrade"))
    return out


def environment(folder: Path, chunk_size: int) -> dict[str, str]:
    queue = f"newsworker-bench-{uuid.uuid4().hex[:8]}"
    return {"NEWSWORKER_BROKER_URL": REDIS_URL, "NEWSWORKER_REDIS_URL": REDIS_URL, "NEWSWORKER_QUEUE": queue,
            "NEWSWORKER_DATA_DIR": str(folder), "NEWSWORKER_REINDEX_CHUNK_SIZE": str(chunk_size),
            "NEWSWORKER_SETTLE_SECONDS": "0"}


def start_worker(env: dict[str, str], concurrency: int, log: Path) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("celery")
    queue = f"{env['NEWSWORKER_QUEUE']}-reindex"
    process = subprocess.Popen(
        [str(exe), "-A", "worker.celery_app", "worker", "--pool", "prefork", "--concurrency", str(concurrency),
         "--loglevel", "INFO", "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle"],
        env={k: v for k, v in os.environ.items() if not k.startswith("NEWSWORKER_")} | env, cwd=ROOT,
        stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + READY_SECONDS
    while "ready." not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
    return process


def reindex_once(settings: Settings, app) -> tuple[float, int]:
    """One fanned-out reindex coordinated here; (seconds to the swap, articles read)."""
    store = SqliteStore(settings.database_path)
    client = locks.connect(settings.lock_url)
    name = locks.reindex_lock_name(settings)
    try:
        with locks.held(client, name, ttl=settings.reindex_lock_seconds) as lock:
            started = time.perf_counter()
            report = reindexing.run(store, None, before_swap=lock.verify,
                                    batch_size=settings.reindex_chunk_size, runs=Runs(client, run_key(name)),
                                    dispatch=partial(_send_chunk, app), poll_seconds=0.05)
            seconds = time.perf_counter() - started
    finally:
        client.close()
        store.close()
    if report.failed or report.live_articles != report.read:
        raise SystemExit(f"the reindex did not rebuild every article: {report.model_dump_json(exclude={'failed'})}")
    return seconds, report.read


def measure(seeded: Path, workers: int, chunk_size: int, keep: Path) -> float:
    folder = keep / f"workers-{workers}"
    folder.mkdir()
    shutil.copy(seeded, folder / "newsworker.db")
    env = environment(folder, chunk_size)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    process = start_worker(env, workers, folder / "worker.log")
    try:
        settings = Settings()
        app = create_app(settings)
        warm, _ = reindex_once(settings, app)
        seconds, read = reindex_once(settings, app)
    finally:
        process.terminate()
        process.wait(60)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    rate = read / seconds
    print(f"{workers} worker process(es): {read} articles in {seconds:.1f} s = {rate:.1f} articles/s "
          f"(warm-up run {warm:.1f} s)", flush=True)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--chunk-size", type=int, default=100)
    parser.add_argument("--workers", default="1,2", help="worker process counts, comma-separated; 1 is the baseline")
    parser.add_argument("--keep", type=Path, help="keep the stores and worker logs in this folder")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    keep = args.keep or Path(tempfile.mkdtemp(prefix="bench-reindex-"))
    keep.mkdir(parents=True, exist_ok=True)
    print(f"{platform.node()}: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; {args.articles} articles, "
          f"chunks of {args.chunk_size}, extractor {EXTRACTOR_VERSION}", flush=True)
    seeded = keep / "seeded.db"
    store = SqliteStore(seeded)
    store.upsert(articles(args.articles))
    store.close()
    rates = {n: measure(seeded, n, args.chunk_size, keep) for n in counts}
    if 1 in rates and len(rates) > 1:
        top = max(rates)
        ratio = rates[top] / rates[1]
        print(f"ratio {top} workers / 1 worker: {ratio:.2f} (target >= {TARGET}: {'met' if ratio >= TARGET else 'NOT met'}); "
              f"load {os.getloadavg()[0]:.2f}")
    if args.keep is None:
        shutil.rmtree(keep, ignore_errors=True)


if __name__ == "__main__":
    main()
