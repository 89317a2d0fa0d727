"""Memory benchmark: the resident memory (RSS) of one worker process while it indexes 10,000
articles, against its own RSS once warmed up.

    .venv/bin/python bench/memory.py [--articles 10000] [--batch-size 100] [--warmup 1000]

Articles: bench/extract.py's generator (seed article and feed items, paragraphs shuffled,
figures varied, random.Random(7)), written as .txt files like seeds/, each with a sidecar
(FILE.meta.json) naming one of 12 outlets and a publication time: a news stream of
--per-day articles a day, sent in that order, as a worker meets them (--no-dates: no
sidecars, every article dated by the text alone, many not at all). One worker,
`celery -A worker.celery_app worker --pool solo` on the real Redis into the SQLite store:
with the solo pool the process that runs the tasks is the one measured (a prefork child
is the same code, long-lived the same way). Batches of --batch-size files are sent one at
a time, as ingest_paths tasks, and the worker's RSS (/proc, or psutil when installed) is
read after each. Baseline: its RSS after the first --warmup articles (spaCy loaded, caches
and SQLite pages filled), in this same run. Reported: the largest RSS after warm-up as a
ratio of the baseline, i.e. growth in per cent. Target: no growth beyond 10% (ratio <= 1.10).
A benchmark, not a test: the exit code is 0 whether or not the target is met.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from e2e import bench_workdir, stop_worker, write_articles  # noqa: E402
from extract import seed_documents  # noqa: E402  (the shared generator)

TARGET = 1.10
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes(pid: int) -> int:
    try:
        import psutil
    except ImportError:
        # statm's second field: resident pages (Linux).
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    return psutil.Process(pid).memory_info().rss


def write_stream_sidecars(paths: list[Path], per_day: int) -> None:
    """Outlet and publication time of each article: ``per_day`` a day from 2021-01-01, in order."""
    start = datetime(2021, 1, 1, tzinfo=timezone.utc)
    for n, path in enumerate(paths):
        published = start + timedelta(days=n / per_day)
        sidecar = {"source": f"Outlet {n % 12}", "published": published.isoformat()}
        path.with_name(path.name + ".meta.json").write_text(json.dumps(sidecar), encoding="utf-8")


def mib(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=100, help="files per ingest_paths task")
    parser.add_argument("--warmup", type=int, default=1_000, help="articles before the baseline is taken")
    parser.add_argument("--per-day", type=int, default=100, help="articles published a day in the stream")
    parser.add_argument("--no-dates", action="store_true", help="no sidecars: dates only from the texts")
    args = parser.parse_args()

    workdir, queue = bench_workdir("memory")

    from worker.celery_app import create_app
    from worker.models import BatchReport
    from worker.settings import Settings
    from worker.tasks import INGEST_PATHS

    paths = write_articles(seed_documents(args.articles, random.Random(7)), workdir / "articles")
    if not args.no_dates:
        write_stream_sidecars(paths, args.per_day)
    batches = [[str(p) for p in paths[i:i + args.batch_size]] for i in range(0, len(paths), args.batch_size)]
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "worker.celery_app", "worker", "-Q", queue,
         "--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "-n", f"{queue}@%h"],
        env={**os.environ}, cwd=workdir, stdout=subprocess.DEVNULL, stderr=open(workdir / "worker.log", "w"),
    )
    try:
        app = create_app(Settings())
        task = app.tasks[INGEST_PATHS]
        stream = "dates from the texts only" if args.no_dates else f"a stream of {args.per_day} a day"
        print(f"articles: {args.articles} ({stream}) in batches of {args.batch_size}; warm-up {args.warmup}; "
              f"worker pid {worker.pid} (solo pool)", flush=True)
        done, indexed, failed = 0, 0, 0
        baseline: int | None = None
        samples: list[tuple[int, int]] = []
        began = time.perf_counter()
        for batch in batches:
            sent = time.perf_counter()
            result = task.apply_async(args=[batch, {}])
            report = BatchReport.model_validate(result.get(timeout=3600))
            batch_seconds = time.perf_counter() - sent
            result.forget()
            done += len(batch)
            indexed += len(report.indexed)
            failed += len(report.failed)
            rss = rss_bytes(worker.pid)
            if baseline is None and done >= args.warmup:
                baseline = rss
                print(f"after {done:>6} articles: {mib(rss)}  <- baseline (end of warm-up)", flush=True)
            elif baseline is not None:
                samples.append((done, rss))
                if done % (args.batch_size * 10) == 0:
                    print(f"after {done:>6} articles: {mib(rss)}  ({(rss / baseline - 1) * 100:+.1f}%), "
                          f"last batch {batch_seconds:.1f} s, {time.perf_counter() - began:,.0f} s so far", flush=True)
        seconds = time.perf_counter() - began
        if baseline is None or not samples:
            print("not enough articles after warm-up to measure growth; raise --articles")
            return
        peak_done, peak = max(samples, key=lambda s: s[1])
        print(f"indexed {indexed}, failed {failed}, in {seconds:,.0f} s ({args.articles / seconds:,.1f} articles/s)")
        print(f"baseline RSS {mib(baseline)}; final {mib(samples[-1][1])}; peak {mib(peak)} after {peak_done} articles")
        print(f"ratio peak/baseline: {peak / baseline:.3f}  = max growth after warm-up {(peak / baseline - 1) * 100:+.1f}% "
              f"(target <= {(TARGET - 1) * 100:.0f}%)")
    finally:
        stop_worker(worker, queue)


if __name__ == "__main__":
    main()
