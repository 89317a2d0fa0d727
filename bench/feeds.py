"""Feed polling benchmark: 1,000 local feeds, a real Celery worker, against a bare httpx loop.

    .venv/bin/python bench/feeds.py [--feeds 1000] [--items 20] [--concurrency 2]

A feed server runs in its own process on 127.0.0.1. Every feed is polled once to warm
up (state, ETags, item ledger). Then a fifth of the feeds gain one new item and the
measured round begins, mixing the answers a real poll cycle meets:
  60% 304 Not Modified (server honours ETag), 20% 200 with an unchanged body (server
  ignores validators), 20% 200 with one new item among --items.
Baseline: a bare httpx loop GETting the same URLs with the same validators, in this run.
Worker: `celery -A worker.celery_app worker` (prefork, --concurrency) on the real Redis,
poll_feeds tasks of NEWSWORKER_FEEDS__FEEDS_PER_TASK feeds as beat's poll_due_feeds sends them, the full poll path (guard, conditional GET, size and time
limits, parse, item ledger, state). New items are handed to the ingest queue, which this
benchmark leaves unconsumed: extraction speed is bench/extract.py's subject.
Targets: >= 1,000 feeds/min and worker/bare >= 0.5.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REDIS_URL = os.environ.get("NEWSWORKER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


# -- the feed server (own process) ---------------------------------------------------------


def feed_body(feed: int, items: int, generation: int) -> bytes:
    first = generation  # generation g adds item g at the top
    entries = "".join(
        f"<item><title>Feed {feed} story {n}</title><guid isPermaLink=\"false\">f{feed}-s{n}</guid>"
        f"<link>https://news.example/{feed}/{n}</link><pubDate>Fri, 15 Jan 2021 10:00:00 GMT</pubDate>"
        f"<description>Officials said {1000 + n:,} troops would stay in the region for story {n} of feed {feed}.</description></item>"
        for n in range(first + items - 1, first - 1, -1)
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {feed}</title>'
            f"<link>https://news.example/{feed}</link>{entries}</channel></rss>").encode()


def serve(port_file: str, feeds: int, items: int) -> None:
    generation = {"value": 0}
    honours_etag = lambda i: i % 5 < 3          # 60%: conditional GET works          # noqa: E731
    changes = lambda i: i % 5 == 4              # 20%: gain a new item after warm-up  # noqa: E731
    cache: dict[tuple[int, int], bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/_bump":
                generation["value"] = 1
                return self._send(200, b"ok", {})
            feed = int(self.path.rsplit("/", 1)[-1].split(".")[0])
            gen = generation["value"] if changes(feed) else 0
            etag = f'"{feed}-{gen}"'
            if honours_etag(feed) and self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", {"ETag": etag})
            body = cache.get((feed, gen)) or cache.setdefault((feed, gen), feed_body(feed, items, gen))
            headers = {"Content-Type": "application/rss+xml"}
            if honours_etag(feed):
                headers["ETag"] = etag
            self._send(200, body, headers)

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            head = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Modified'}"]
            head += [f"{k}: {v}" for k, v in headers.items()] + [f"Content-Length: {len(body)}", "", ""]
            self.wfile.write("\r\n".join(head).encode() + body)  # one write: no Nagle stalls

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


# -- the measurement ------------------------------------------------------------------------


def start_server(workdir: Path, feeds: int, items: int) -> tuple[subprocess.Popen, str]:
    port_file = workdir / "port"
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file), "--feeds", str(feeds), "--items", str(items)])
    for _ in range(100):
        if port_file.exists() and port_file.read_text():
            return proc, f"http://127.0.0.1:{port_file.read_text()}"
        time.sleep(0.05)
    raise SystemExit("feed server did not start")


def bare_loop(urls: list[str], etags: dict[str, str | None]) -> float:
    import httpx

    began = time.perf_counter()
    with httpx.Client() as client:
        for url in urls:
            headers = {"If-None-Match": etags[url]} if etags.get(url) else {}
            client.get(url, headers=headers).read()
    return time.perf_counter() - began


def run_worker_round(app, urls: list[str], size: int, timeout: float) -> tuple[float, list[dict]]:
    """Enqueue poll_feeds chunks exactly as poll_due_feeds does, and wait for all of them."""
    from worker.tasks import POLL_FEEDS

    task = app.tasks[POLL_FEEDS]
    began = time.perf_counter()
    results = [task.apply_async(args=[urls[i : i + size]]) for i in range(0, len(urls), size)]
    reports = [report for r in results for report in r.get(timeout=timeout)]
    return time.perf_counter() - began, reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.feeds, args.items)

    workdir = Path(tempfile.mkdtemp(prefix="newsworker-bench-feeds-"))
    queue = f"bench-feeds-{uuid.uuid4().hex[:6]}"
    env = {
        "NEWSWORKER_BROKER_URL": REDIS_URL,
        "NEWSWORKER_QUEUE": queue,
        "NEWSWORKER_INGEST_QUEUE": queue + ".ingest",  # left unconsumed: see the docstring
        "NEWSWORKER_DATA_DIR": str(workdir / "var"),
        "NEWSWORKER_FEEDS__REGISTRY": str(workdir / "feeds.toml"),
        "NEWSWORKER_FETCH__ALLOW_PRIVATE": '["127.0.0.1/32"]',
    }
    os.environ.update(env)
    os.chdir(workdir)

    from worker.celery_app import create_app
    from worker.feeds.registry import FeedConfig
    from worker.settings import Settings

    server, base = start_server(workdir, args.feeds, args.items)
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "worker.celery_app", "worker", "-Q", queue,
         "--concurrency", str(args.concurrency), "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        env={**os.environ}, cwd=workdir, stdout=subprocess.DEVNULL, stderr=open(workdir / "worker.log", "w"),
    )
    try:
        settings = Settings()
        app = create_app(settings)
        runtime = app.newsworker_runtime
        urls = [f"{base}/feed/{i}.xml" for i in range(args.feeds)]
        runtime.registry._write([FeedConfig(url=u, interval_minutes=30) for u in urls])

        print(f"warm-up: polling {args.feeds} feeds once ({args.items} items each) ...", flush=True)
        size = settings.feeds.feeds_per_task
        warm, _ = run_worker_round(app, urls, size, timeout=900)
        import httpx

        httpx.get(f"{base}/_bump")
        etags = {u: s.etag for u, s in runtime.feed_states.all().items()}

        bare = bare_loop(urls, etags)
        measured, reports = run_worker_round(app, urls, size, timeout=900)

        mix: dict[str, int] = {}
        for r in reports:
            key = f"{r['status']}/{r['http_status']}"
            mix[key] = mix.get(key, 0) + 1
        new_items = sum(r["new_items"] for r in reports)
        errors = [r for r in reports if r["status"] == "error"]
        worker_rate = args.feeds / measured * 60
        bare_rate = args.feeds / bare * 60
        print(f"warm-up round:  {warm:.2f}s")
        print(f"answers:        {mix}; new items handed to the ingest queue: {new_items}; errors: {len(errors)}")
        print(f"bare httpx:     {bare:.2f}s  = {bare_rate:,.0f} feeds/min")
        print(f"worker:         {measured:.2f}s  = {worker_rate:,.0f} feeds/min "
              f"(celery prefork --concurrency {args.concurrency}, real Redis)")
        print(f"ratio worker/bare: {worker_rate / bare_rate:.2f}  (targets: >= 1,000 feeds/min, ratio >= 0.5)")
        if errors:
            print("first error:", errors[0]["error"])
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.kill()
        try:
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            client.delete(queue, queue + ".ingest")
        except Exception as exc:  # the numbers are printed; a leftover queue is only untidy
            print(f"note: could not purge bench queues: {exc}")


if __name__ == "__main__":
    main()
