"""A real Celery worker process against the real Redis on 127.0.0.1:6379."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from tests.celeryproc import WorkerProcess
from tests.conftest import SEED

pytestmark = pytest.mark.integration


@pytest.fixture
def celery_worker_process(broker_env, tmp_path):
    worker = WorkerProcess(broker_env, tmp_path, tmp_path / "worker.log").start()
    yield worker
    worker.stop()


def test_worker_indexes_a_document_sent_through_redis(celery_worker_process, broker_env, tmp_path):
    from worker.celery_app import create_app
    from worker.cli import dispatch
    from worker.models import BatchReport, SearchQuery
    from worker.settings import Settings
    from worker.store import SqliteStore

    settings = Settings()
    assert not settings.eager
    app = create_app(settings)
    [result] = dispatch.enqueue(app, dispatch.chunks([SEED], 10), {"url": "https://wire.example/seed"})
    report = BatchReport.model_validate(result.get(timeout=180))
    assert [o.status for o in report.indexed] == ["created"], (tmp_path / "worker.log").read_text()[-3000:]

    store = SqliteStore(tmp_path / "var" / "newsworker.db")
    stored = store.get(report.indexed[0].id)
    assert stored is not None and stored.url == "https://wire.example/seed"
    assert [h.id for h in store.search(SearchQuery(text="troop drawdown")).hits] == [stored.id]
    store.close()


def test_feed_poll_hands_new_items_to_the_ingest_workers(celery_worker_process, broker_env, tmp_path):
    from tests.conftest import SEEDS
    from worker.celery_app import create_app
    from worker.feeds.registry import FeedConfig
    from worker.settings import Settings
    from worker.store import SqliteStore
    from worker.tasks import POLL_FEED

    settings = Settings()
    app = create_app(settings)
    feed_url = f"file://{SEEDS / 'feed.xml'}"
    app.newsworker_runtime.registry.add(FeedConfig(url=feed_url, name="Demo"))
    report = app.tasks[POLL_FEED].apply_async(args=[feed_url]).get(timeout=120)
    assert (report["status"], report["new_items"]) == ("ok", 3)
    store = SqliteStore(tmp_path / "var" / "newsworker.db")
    store.setup()
    deadline = time.monotonic() + 120
    while store.stats().articles < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert store.stats().articles == 3, (tmp_path / "worker.log").read_text()[-3000:]
    store.close()
    again = app.tasks[POLL_FEED].apply_async(args=[feed_url]).get(timeout=120)
    assert again["status"] == "not_modified"


def test_cli_ingest_wait_goes_through_the_worker(celery_worker_process, broker_env):
    from worker.cli.main import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", str(SEED), "--wait", "--timeout", "180", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Enqueued 1 files in 1 tasks" in result.stderr
    assert len(json.loads(result.stdout)["indexed"]) == 1

    deadline = time.monotonic() + 10
    status = {}
    while time.monotonic() < deadline:
        status = json.loads(runner.invoke(cli, ["status", "--json"]).stdout)
        if status["workers"]["answering"] == 1:
            break
    assert status["mode"] == "broker"
    assert status["workers"]["answering"] == 1
    assert status["store"]["articles"] == 1
