"""`newsworker status`: feed health, last errors, queue depths and workers, on real Redis and a
real worker; and the JSON task lines that worker writes."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from tests.celeryproc import WorkerProcess
from tests.conftest import REDIS_URL, SEED, SEEDS, redis_available
from worker.cli import render
from worker.feeds.registry import FeedConfig
from worker.feeds.state import FeedState
from worker.models import Failure, StoreStats
from worker.status import (FeedsStatus, QueueDepth, Status, Workers, feed_health, feeds_status, last_errors)
from worker.task_errors import TaskError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _feed(url: str = "https://a.example/rss", interval: int = 30) -> FeedConfig:
    return FeedConfig(url=url, interval_minutes=interval)


def _state(url: str = "https://a.example/rss", **fields) -> FeedState:
    return FeedState(url=url, last_polled=NOW - timedelta(minutes=5), **fields)


# -- pure -------------------------------------------------------------------------------------


def test_feed_health_from_its_state():
    assert feed_health(_feed(), None, NOW).health == "never_polled"
    assert feed_health(_feed(), _state(retired=True, consecutive_errors=1), NOW).health == "retired"
    failing = feed_health(_feed(), _state(consecutive_errors=3, last_error="HTTP 500"), NOW)
    assert (failing.health, failing.consecutive_errors, failing.last_error) == ("failing", 3, "HTTP 500")
    assert feed_health(_feed(), _state(next_poll=NOW + timedelta(minutes=25)), NOW).health == "ok"
    # Due a minute ago: a poll is on its way. Due a whole interval ago: nobody is polling.
    assert feed_health(_feed(), _state(next_poll=NOW - timedelta(minutes=1)), NOW).health == "ok"
    assert feed_health(_feed(), _state(next_poll=NOW - timedelta(minutes=30)), NOW).health == "overdue"
    assert feed_health(_feed(interval=120), _state(next_poll=NOW - timedelta(minutes=30)), NOW).health == "ok"


def test_feeds_status_counts_and_lists_the_worst_first():
    feeds = [_feed("https://ok.example/"), _feed("https://bad.example/"), _feed("https://new.example/")]
    states = {"https://ok.example/": _state("https://ok.example/", next_poll=NOW + timedelta(minutes=1)),
              "https://bad.example/": _state("https://bad.example/", consecutive_errors=1, last_error="timeout")}
    status = feeds_status(feeds, states, NOW)
    assert status.total == 3
    assert status.by_health == {"failing": 1, "never_polled": 1, "ok": 1}
    assert [f.url for f in status.feeds] == ["https://bad.example/", "https://new.example/", "https://ok.example/"]


def test_last_errors_merge_every_kind_newest_first():
    tasks = [TaskError(at=NOW - timedelta(minutes=1), task="newsworker.ingest_paths", task_id="t1", outcome="retry",
                       error="TransientStoreError: down")]
    inputs = [Failure(origin="a.txt", reason="empty", stage="read", at=NOW - timedelta(minutes=10))]
    feed = feed_health(_feed(), _state(consecutive_errors=2, last_error="HTTP 503"), NOW)
    entries = last_errors(tasks, inputs, [feed, feed_health(_feed("https://fine.example/"), _state(), NOW)])
    assert [(e.kind, e.origin) for e in entries] == [
        ("task", "newsworker.ingest_paths[t1]"), ("feed", "https://a.example/rss"), ("input", "a.txt")]
    assert entries[0].error == "retry: TransientStoreError: down"
    assert entries[1].error == "2 in a row: HTTP 503"
    assert len(last_errors(tasks * 20, inputs, [], limit=5)) == 5


def test_status_text_shows_queues_workers_feeds_and_errors():
    stats = StoreStats(kind="sqlite", location="var/newsworker.db", articles=7, entities=3, figures=2, events=1, failures=1)
    feeds = feeds_status([_feed(), _feed("https://b.example/")],
                         {"https://a.example/rss": _state(consecutive_errors=4, last_error="HTTP 500")}, NOW)
    report = Status(
        mode="broker", broker="redis://:***@r:6379/0", queue="newsworker",
        queues=[QueueDepth(name="newsworker", waiting=12), QueueDepth(name="newsworker.ingest", error="ConnectionError: x")],
        unacked=2, workers=Workers(answering=1, names=["w1@host"], others=["x@y"]), store=stats, feeds=feeds,
        last_errors=last_errors([], [], feeds.feeds), spacy_model="m", extractor_version="3",
    )
    text = render.status("broker redis://:***@r:6379/0 queue newsworker", report)
    assert "queues:      newsworker 12 waiting, newsworker.ingest unknown (ConnectionError: x); 2 delivered" in text
    assert "workers:     1 answering: w1@host (and 1 on other queues)" in text
    assert "contents:    7 articles" in text
    assert "feeds:       2 (1 failing, 1 never polled)" in text
    assert "failing      https://a.example/rss  4 errors in a row" in text
    assert "feed https://a.example/rss: 4 in a row: HTTP 500" in text
    down = Status(mode="in_process", queue="q", store_error="cluster unreachable", feeds=FeedsStatus(error="bad toml"),
                  spacy_model="m", extractor_version="3")
    text = render.status("in process", down)
    assert "store:       unavailable: cluster unreachable" in text and "feeds:       unknown (bad toml)" in text
    assert "queues:" not in text and "last errors: none" in text


# -- in process: feed health from real polls --------------------------------------------------


def test_status_shows_feed_health_after_real_polls(env_settings, nlp, tmp_path):
    from worker.cli.main import cli

    settings = env_settings()
    missing = tmp_path / "gone" / "feed.xml"
    demo = tmp_path / "feed.xml"  # in the working folder: the CLI in process may read it
    shutil.copy(SEEDS / "feed.xml", demo)
    settings.feeds.registry.parent.mkdir(parents=True)
    settings.feeds.registry.write_text(
        f'[[feeds]]\nurl = "file://{demo}"\nname = "Demo"\n\n[[feeds]]\nurl = "file://{missing}"\n')
    runner = CliRunner()
    assert runner.invoke(cli, ["feeds", "poll", "--all"], catch_exceptions=False).exit_code == 0  # one feed worked
    data = json.loads(runner.invoke(cli, ["status", "--json"], catch_exceptions=False).stdout)
    assert data["mode"] == "in_process" and data["workers"] is None and data["queues"] == []
    assert data["feeds"]["by_health"] == {"failing": 1, "ok": 1}
    failing, ok = data["feeds"]["feeds"]
    assert failing["url"] == f"file://{missing}" and failing["consecutive_errors"] == 1 and failing["last_error"]
    assert ok["name"] == "Demo" and ok["items_seen"] == 3 and ok["last_success"]
    assert data["store"]["articles"] == 3
    assert [(e["kind"], e["origin"]) for e in data["last_errors"]] == [("feed", f"file://{missing}")]
    text = runner.invoke(cli, ["status"], catch_exceptions=False).stdout
    assert "feeds:       2 (1 failing, 1 ok)" in text and f"failing      file://{missing}" in text


# -- real Redis --------------------------------------------------------------------------------


@pytest.fixture
def redis_queue(env_settings, monkeypatch):
    """Settings (and the environment the CLI reads) for a broker queue of this test's own, no worker."""
    if not redis_available():
        pytest.skip(f"Redis does not answer at {REDIS_URL} (start redis-server to run this test)")
    import redis

    queue = f"newsworker-test-{uuid.uuid4().hex[:8]}"
    env_settings()
    for key, value in (("BROKER_URL", REDIS_URL), ("QUEUE", queue), ("INGEST_QUEUE", queue + ".ingest")):
        monkeypatch.setenv(f"NEWSWORKER_{key}", value)
    settings = env_settings()
    yield settings
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(*(client.keys(f"*{queue}*") or ["-"]))


def test_status_counts_waiting_messages_and_shows_task_errors(redis_queue):
    from worker import task_errors
    from worker.celery_app import create_app
    from worker.cli.main import cli
    from worker.tasks import INGEST_PATHS, INGEST_FEED_ITEMS

    settings = redis_queue
    app = create_app(settings)
    for _ in range(2):
        app.tasks[INGEST_PATHS].apply_async(args=[[str(SEED)], {}])
    app.tasks[INGEST_PATHS].apply_async(args=[[str(SEED)], {}], priority=9)  # its own Redis list
    app.tasks[INGEST_FEED_ITEMS].apply_async(args=[[], []])  # routed to the ingest queue
    client = task_errors.connect(settings.lock_url)
    task_errors.record(client, task_errors.journal_key(settings), TaskError(
        at=datetime.now(timezone.utc), task="newsworker.ingest_paths", task_id="abc", outcome="failure",
        error="StoreError: mapping conflict", queue=settings.queue))

    started = time.monotonic()
    data = json.loads(CliRunner().invoke(cli, ["status", "--json"], catch_exceptions=False).stdout)
    assert time.monotonic() - started < 10
    assert data["mode"] == "broker"
    assert [(q["name"], q["waiting"]) for q in data["queues"]] == [(settings.queue, 3), (settings.ingest_queue, 1)]
    assert isinstance(data["unacked"], int)
    assert data["workers"]["answering"] == 0 and data["workers"]["error"] is None
    assert data["last_errors"][0]["origin"] == "newsworker.ingest_paths[abc]"
    assert data["last_errors"][0]["error"] == "failure: StoreError: mapping conflict"
    text = CliRunner().invoke(cli, ["status"], catch_exceptions=False).stdout
    assert f"queues:      {settings.queue} 3 waiting, {settings.ingest_queue} 1 waiting" in text
    assert "task newsworker.ingest_paths[abc]: failure: StoreError: mapping conflict" in text


def test_status_answers_when_the_broker_does_not(env_settings, monkeypatch):
    from worker.cli.main import cli

    env_settings()
    monkeypatch.setenv("NEWSWORKER_BROKER_URL", "redis://:topsecret@127.0.0.1:9/0")
    monkeypatch.setenv("NEWSWORKER_REDIS_URL", "redis://:topsecret@127.0.0.1:9/0")
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["status", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 15
    data = json.loads(result.stdout)
    assert data["queues"][0]["waiting"] is None and "ConnectionError" in data["queues"][0]["error"]
    assert data["task_errors_error"] and data["workers"]["answering"] is None
    assert data["store"]["articles"] == 0
    assert "topsecret" not in result.output


# -- a real worker -----------------------------------------------------------------------------


@pytest.fixture
def json_worker(broker_env, tmp_path):
    """A real worker on this test's queue, logging JSON."""
    worker = WorkerProcess({**broker_env, "NEWSWORKER_LOG_FORMAT": "json"}, tmp_path, tmp_path / "worker.log").start()
    yield worker
    worker.stop()


@pytest.mark.integration
def test_worker_logs_json_lines_and_status_sees_it(json_worker, broker_env, tmp_path):
    import redis

    from worker.celery_app import create_app
    from worker.cli.main import cli
    from worker.settings import Settings
    from worker.tasks import INGEST_PATHS, POLL_FEEDS

    settings = Settings()
    app = create_app(settings)
    log = tmp_path / "worker.log"
    try:
        ingest = app.tasks[INGEST_PATHS].apply_async(args=[[str(SEED), str(tmp_path / "missing.txt")], {}])
        ingest.get(timeout=180)
        broken = app.tasks[POLL_FEEDS].apply_async(args=[None])  # a malformed message: fails, is not retried
        with pytest.raises(TypeError):
            broken.get(timeout=60)
        lines: dict[str, dict] = {}
        deadline = time.monotonic() + 20
        while len(lines) < 2 and time.monotonic() < deadline:
            objects = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
            lines = {o["task_id"]: o for o in objects if o.get("event") == "task"}
            time.sleep(0.2)
        assert set(lines) == {ingest.id, broken.id}, json_worker.tail()
        ok, failed = lines[ingest.id], lines[broken.id]
        assert (ok["outcome"], ok["queue"], ok["eager"], ok["batch_size"]) == ("success", settings.queue, False, 2)
        assert (ok["indexed"], ok["unchanged"], ok["failed"], ok["retries"]) == (1, 0, 1, 0)
        assert ok["duration_ms"] > 0 and ok["worker"].startswith(settings.queue)
        assert failed["outcome"] == "failure" and failed["level"] == "ERROR" and failed["error"].startswith("TypeError")
        assert any(o["logger"].startswith("celery") for o in objects), "Celery's own lines are JSON too"

        data = json.loads(CliRunner().invoke(cli, ["status", "--json"], catch_exceptions=False).stdout)
        assert data["workers"]["answering"] == 1 and data["workers"]["names"][0].startswith(settings.queue)
        assert data["queues"] == [{"name": settings.queue, "waiting": 0, "error": None}]
        assert data["store"]["articles"] == 1
        kinds = {(e["kind"], e["origin"].split("[")[0]) for e in data["last_errors"]}
        assert {("task", "newsworker.poll_feeds"), ("input", str(tmp_path / "missing.txt"))} <= kinds
    finally:
        redis.Redis.from_url(REDIS_URL).delete(f"newsworker:task-errors:{settings.queue}")


# -- a reindex under way (issue 16 item 2) -----------------------------------------------------


def _run_record(articles: int = 300, chunk: int = 100):
    from worker.reindex.runs import RunRecord
    from worker.store.base import Chunk, IndexVersion

    chunks = [Chunk(number=i, low=i * chunk or None, high=(i + 1) * chunk if i < articles // chunk - 1 else None,
                    articles=chunk) for i in range(articles // chunk)]
    return RunRecord(id="run-status", store="sqlite", source=IndexVersion(name="v1", version=1, articles=articles),
                     target=IndexVersion(name="v2", version=2, articles=0), chunks=chunks, extractor_version="6",
                     started_at=NOW - timedelta(minutes=5))


def test_reindex_status_rates_what_its_coordinator_did_since_it_began_watching():
    from worker.reindex.progress import reindex_status
    from worker.reindex.runs import ChunkReport, Watch

    run = _run_record()
    reports = {n: ChunkReport(number=n, read=100) for n in (0, 1)}
    # A resume 20 s ago found chunk 0 done; chunk 1 since: 100 articles in 20 s, 100 left.
    status = reindex_status(run, reports, Watch(at=NOW - timedelta(seconds=20), done=100), "host pid 7", NOW)
    p = status.progress
    assert (p.done, p.total, p.chunks_done, p.chunks_total, p.articles_per_second, p.eta_seconds) == (200, 300, 2, 3, 5.0, 20.0)
    stopped = reindex_status(run, reports, None, None, NOW)
    assert (stopped.progress.done, stopped.progress.articles_per_second, stopped.progress.eta_seconds) == (200, None, None)
    base = Status(mode="broker", queue="q", feeds=FeedsStatus(), spacy_model="m", extractor_version="6")
    running = render.status("broker", base.model_copy(update={"reindex": status}))
    assert ("reindex:     v2: 200/300 articles, 2/3 chunks, 5.0 articles/s, about 20 s left "
            "(started 2026-03-01 11:55, coordinated by host pid 7)") in running
    assert "reindex --resume" in render.status("broker", base.model_copy(update={"reindex": stopped}))
    assert "reindex:     none running" in render.status("broker", base)


def test_status_shows_the_recorded_reindex_from_redis(redis_queue):
    from worker import locks
    from worker.cli.main import cli
    from worker.reindex.runs import ChunkReport, Runs, run_key

    settings = redis_queue
    client = locks.connect(settings.lock_url)
    name = locks.reindex_lock_name(settings)
    runs = Runs(client, run_key(name))
    run = _run_record().model_copy(update={"started_at": datetime.now(timezone.utc)})
    runs.save(run)
    runs.record(run.id, ChunkReport(number=0, read=100))
    try:
        with locks.held(client, name, task_id="coordinator-1"):
            data = json.loads(CliRunner().invoke(cli, ["status", "--json"], catch_exceptions=False).stdout)
            assert data["reindex"]["progress"]["done"] == 100 and data["reindex"]["progress"]["total"] == 300
            assert "task coordinator-1" in data["reindex"]["coordinator"]
            text = CliRunner().invoke(cli, ["status"], catch_exceptions=False).stdout
            assert "reindex:     v2: 100/300 articles, 1/3 chunks" in text and "coordinated by" in text
        text = CliRunner().invoke(cli, ["status"], catch_exceptions=False).stdout
        assert "reindex:     stopped at v2: 100/300 articles" in text and "reindex --resume" in text
    finally:
        runs.clear(run.id)
        client.close()
    assert "reindex:     none running" in CliRunner().invoke(cli, ["status"], catch_exceptions=False).stdout
