"""Delivery guarantees with real Celery worker processes and real Redis servers.

Faults: a worker SIGKILLed mid-batch, a pool process SIGKILLed mid-batch, the broker's Redis
crashing mid-run, the search store down, a task failing outright. After each, every document
sent is stored exactly once or parked as a dead letter: nothing is lost or doubled.

A batch is held mid-flight deterministically by holding the SQLite store's write lock from
the test: the worker has read, normalized and extracted the batch, and cannot commit it.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.celeryproc import RedisServer, WorkerProcess, free_port
from tests.esproxy import EsProxy
from tests.esserver import TEST_API_KEY
from tests.test_deadletters import write_articles

pytestmark = pytest.mark.integration

BATCH = 3
WAIT = 120.0


@contextmanager
def store_write_locked(db: Path):
    """Hold the store's write lock: a worker's batch blocks before it commits anything."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def wait_started(result, worker: WorkerProcess, timeout: float = 60.0) -> int:
    """Wait until a worker has begun ``result``'s task; the pid of the process running it."""
    deadline = time.monotonic() + timeout
    # One read per turn: the state can change between two reads of ``result.state``.
    while (state := result.state) != "STARTED":
        assert state == "PENDING", state
        assert time.monotonic() < deadline, worker.tail()
        time.sleep(0.05)
    return result.info["pid"]


def reports(results, worker: WorkerProcess) -> list:
    from worker.models import BatchReport

    try:
        return [BatchReport.model_validate(r.get(timeout=WAIT)) for r in results]
    except Exception:
        print(worker.tail())
        raise


def stored_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM articles")]


def outcome_counts(batch_reports) -> Counter:
    counts: Counter = Counter()
    for report in batch_reports:
        counts["created"] += sum(o.status == "created" for o in report.indexed)
        counts["unchanged"] += len(report.duplicates)
        counts["failed"] += len(report.failed)
    return counts


def _app():
    from worker.celery_app import create_app
    from worker.settings import Settings

    return create_app(Settings())


def _enqueue(app, files: list[Path]):
    from worker.cli import dispatch

    return dispatch.enqueue(app, dispatch.chunks(files, BATCH), {"source": "Delivery Wire"})


def _set(monkeypatch, env: dict[str, str], **values: str) -> None:
    for key, value in values.items():
        env[key] = value
        monkeypatch.setenv(key, value)


# -- configuration ---------------------------------------------------------------------------------


def test_late_acks_are_configured_to_take_effect(env_settings):
    from worker.celery_app import create_app
    from worker.tasks import INGEST_FEED_ITEMS, INGEST_PATHS, POLL_DUE_FEEDS, POLL_FEED, POLL_FEEDS, REINDEX

    app = create_app(env_settings(broker_url="redis://127.0.0.1:6379/0", broker_visibility_timeout=7200))
    conf = app.conf
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost, conf.worker_prefetch_multiplier) == (True, True, 1)
    assert conf.broker_transport_options["visibility_timeout"] == 7200
    assert conf.broker_transport_options["unacked_restore_interval"] == 10
    for name in (INGEST_PATHS, INGEST_FEED_ITEMS, POLL_FEED, POLL_FEEDS, POLL_DUE_FEEDS, REINDEX):
        assert (app.tasks[name].acks_late, app.tasks[name].reject_on_worker_lost) == (True, True), name


def test_retries_must_fit_inside_the_visibility_timeout(env_settings):
    from pydantic import ValidationError

    settings = env_settings()
    assert [settings.store_retry_delay(n) for n in range(5)] == [10, 20, 40, 80, 160]
    assert settings.store_retry_delay(12) == 600
    with pytest.raises(ValidationError, match="NEWSWORKER_BROKER_VISIBILITY_TIMEOUT"):
        env_settings(broker_visibility_timeout=100)  # the 5th retry would wait 160 s
    assert env_settings(broker_visibility_timeout=100, task_max_retries=4).broker_visibility_timeout == 100


# -- faults ----------------------------------------------------------------------------------------


def test_worker_killed_mid_batch_then_restarted_stores_every_document_once(broker_env, tmp_path, monkeypatch):
    _set(monkeypatch, broker_env, NEWSWORKER_BROKER_VISIBILITY_TIMEOUT="5", NEWSWORKER_TASK_RETRY_BACKOFF="0.1")
    files = write_articles(tmp_path / "inbox", 3 * BATCH, "Kill")
    db = tmp_path / "var" / "newsworker.db"
    app = _app()
    first = WorkerProcess(broker_env, tmp_path, tmp_path / "worker.log").start()
    try:
        [done] = _enqueue(app, files[:BATCH])
        reports([done], first)
        with store_write_locked(db):
            [held, queued] = _enqueue(app, files[BATCH:])
            assert wait_started(held, first) == first.pid
            first.kill()
        assert first.process.returncode == -signal.SIGKILL
        assert (held.state, queued.state) == ("STARTED", "PENDING")
        assert len(stored_ids(db)) == BATCH
    finally:
        first.stop()
    second = WorkerProcess(broker_env, tmp_path, tmp_path / "worker.log").start()
    try:
        final = reports([done, held, queued], second)
    finally:
        second.stop()

    ids = stored_ids(db)
    assert len(ids) == len(set(ids)) == len(files)
    assert outcome_counts(final) == Counter(created=len(files), unchanged=0, failed=0)
    from worker.store import SqliteStore

    with SqliteStore(db) as store:
        assert store.stats().articles == len(files)


def test_pool_process_killed_mid_batch_is_handed_out_again_at_once(broker_env, tmp_path):
    """Prefork: the pool process dies, the worker lives and re-queues the batch (reject_on_worker_lost)
    without waiting for the visibility timeout (an hour here)."""
    files = write_articles(tmp_path / "inbox", BATCH + 1, "Pool")
    db = tmp_path / "var" / "newsworker.db"
    app = _app()
    worker = WorkerProcess(broker_env, tmp_path, tmp_path / "worker.log", pool="prefork").start()
    try:
        [warm] = _enqueue(app, files[:1])
        reports([warm], worker)
        with store_write_locked(db):
            [held] = _enqueue(app, files[1:])
            child = wait_started(held, worker)
            assert child != worker.pid
            os.kill(child, signal.SIGKILL)
        [report] = reports([held], worker)
        assert worker.process.poll() is None
    finally:
        worker.stop()
    assert outcome_counts([report]) == Counter(created=BATCH, unchanged=0, failed=0)
    ids = stored_ids(db)
    assert len(ids) == len(set(ids)) == len(files)
    assert "WorkerLostError" in worker.tail(20000)


def test_redis_crash_mid_run_loses_nothing_it_acknowledged(broker_env, tmp_path, monkeypatch):
    broker = RedisServer(tmp_path / "redis").start()
    _set(monkeypatch, broker_env, NEWSWORKER_BROKER_URL=broker.url, NEWSWORKER_BROKER_VISIBILITY_TIMEOUT="5",
         NEWSWORKER_TASK_RETRY_BACKOFF="0.1")
    files = write_articles(tmp_path / "inbox", 4 * BATCH, "Crash")
    db = tmp_path / "var" / "newsworker.db"
    queue = broker_env["NEWSWORKER_QUEUE"]
    app = _app()
    worker = WorkerProcess(broker_env, tmp_path, tmp_path / "worker.log").start()
    try:
        [done] = _enqueue(app, files[:BATCH])
        reports([done], worker)
        with store_write_locked(db):
            later = _enqueue(app, files[BATCH:])  # each publish answered only once Redis has it on disk
            wait_started(later[0], worker)
            broker.crash()
            broker.start()
            with broker.client() as client:
                assert client.llen(queue) == 2  # the two batches not yet handed out
                assert client.hlen("unacked") == 1  # the one running, not yet acknowledged
        final = reports([done, *later], worker)
        deadline = time.monotonic() + WAIT
        with broker.client() as client:
            while client.llen(queue) or client.hlen("unacked"):
                assert time.monotonic() < deadline, worker.tail()
                time.sleep(0.2)
    finally:
        worker.stop()
        broker.stop()

    ids = stored_ids(db)
    assert len(ids) == len(set(ids)) == len(files)
    counts = outcome_counts(final)
    # The batch running through the crash may run twice (its acknowledgement can be lost with
    # the connection); its second run finds its documents stored and changes nothing.
    assert counts["created"] + counts["unchanged"] == len(files) and counts["failed"] == 0
    assert counts["unchanged"] in (0, BATCH)


def test_store_down_retries_with_backoff_then_parks_and_the_replay_indexes(
        broker_env, es_cluster, es_prefix, tmp_path, monkeypatch):
    from worker.cli.main import cli
    from worker.models import BatchReport

    port = free_port()  # nothing listens there until the proxy below: the cluster is down
    _set(monkeypatch, broker_env, NEWSWORKER_STORE="elasticsearch", NEWSWORKER_ES__URL=f"http://127.0.0.1:{port}",
         NEWSWORKER_ES__INDEX_PREFIX=es_prefix, NEWSWORKER_ES__API_KEY=TEST_API_KEY, NEWSWORKER_ES__MAX_RETRIES="0",
         NEWSWORKER_TASK_MAX_RETRIES="2", NEWSWORKER_TASK_RETRY_BACKOFF="0.5")
    files = write_articles(tmp_path / "inbox", BATCH, "Outage")
    app = _app()
    runner = CliRunner()
    worker = WorkerProcess(broker_env, tmp_path, tmp_path / "worker.log").start()
    try:
        started = time.monotonic()
        [parked] = reports(_enqueue(app, files), worker)
        waited = time.monotonic() - started
        assert [f.origin for f in parked.failed] == [str(f.resolve()) for f in files] and not parked.indexed
        assert all("store unavailable after 3 attempts" in f.reason for f in parked.failed)
        log = worker.tail(20000)
        assert "retry 1 of 2 in 0.5s" in log and "retry 2 of 2 in 1s" in log and waited >= 1.5

        [letter] = json.loads(runner.invoke(cli, ["dead-letters", "list", "--json"]).stdout)
        assert (letter["documents"], letter["attempts"]) == (BATCH, 3) and "unreachable" in letter["reason"]
        assert f"parked as dead letter {letter['id']}" in parked.failed[0].reason

        with EsProxy(es_cluster.url, port=port):
            replay = runner.invoke(cli, ["dead-letters", "retry", "--all", "--json"])
            assert replay.exit_code == 0, replay.output
            [queued] = json.loads(replay.stdout)
            assert queued["outcome"] == "queued"
            report = BatchReport.model_validate(app.AsyncResult(queued["task_id"]).get(timeout=WAIT))
            assert outcome_counts([report]) == Counter(created=BATCH, unchanged=0, failed=0)
            assert json.loads(runner.invoke(cli, ["dead-letters", "list", "--json"]).stdout) == []
            with es_cluster.store(es_prefix) as store:
                assert store.stats().articles == BATCH
    finally:
        worker.stop()


def test_a_task_failing_outright_is_parked_and_replays_in_process_once_fixed(broker_env, tmp_path, monkeypatch):
    from tests.conftest import REDIS_URL
    from worker.cli.main import cli
    from worker.store import SqliteStore

    _set(monkeypatch, broker_env, NEWSWORKER_SPACY_MODEL="xx_model_not_installed")
    files = write_articles(tmp_path / "inbox", BATCH, "Broken")
    app = _app()
    worker = WorkerProcess(broker_env, tmp_path, tmp_path / "worker.log").start()
    try:
        [result] = _enqueue(app, files)
        with pytest.raises(Exception, match="xx_model_not_installed"):
            result.get(timeout=WAIT)
    finally:
        worker.stop()
    runner = CliRunner()
    [letter] = json.loads(runner.invoke(cli, ["dead-letters", "list", "--json"]).stdout)
    assert letter["reason"].startswith("ModelNotInstalledError") and letter["documents"] == BATCH

    # Fixed, and now without a broker: the replay runs here, from the same Redis.
    monkeypatch.delenv("NEWSWORKER_SPACY_MODEL")
    monkeypatch.delenv("NEWSWORKER_BROKER_URL")
    monkeypatch.setenv("NEWSWORKER_REDIS_URL", REDIS_URL)
    replay = runner.invoke(cli, ["dead-letters", "retry", letter["id"]])
    assert replay.exit_code == 0, replay.output
    assert f"{letter['id']}: indexed ({BATCH} indexed, 0 duplicates, 0 failed)" in replay.stdout
    assert "No dead letters" in runner.invoke(cli, ["dead-letters", "list"]).stdout
    with SqliteStore(tmp_path / "var" / "newsworker.db") as store:
        assert store.stats().articles == BATCH


def test_a_batch_that_cannot_even_be_parked_stays_in_the_broker(broker_env, tmp_path, monkeypatch):
    from tests.conftest import REDIS_URL

    _set(monkeypatch, broker_env, NEWSWORKER_STORE="elasticsearch", NEWSWORKER_ES__URL=f"http://127.0.0.1:{free_port()}",
         NEWSWORKER_ES__MAX_RETRIES="0", NEWSWORKER_TASK_MAX_RETRIES="0",
         NEWSWORKER_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # where dead letters would go: down too
    files = write_articles(tmp_path / "inbox", BATCH, "Stuck")
    app = _app()
    worker = WorkerProcess(broker_env, tmp_path, tmp_path / "worker.log").start()
    try:
        [result] = _enqueue(app, files)
        deadline = time.monotonic() + WAIT
        while (state := result.state) != "RETRY":
            assert state in ("PENDING", "STARTED") and time.monotonic() < deadline, worker.tail()
            time.sleep(0.1)
        assert "could not park its batch of 3" in worker.tail(20000)
    finally:
        worker.stop()
    # The retry waits 10 minutes in the broker; a worker shutting down hands it back to the queue.
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        [message] = [json.loads(m) for m in client.lrange(broker_env["NEWSWORKER_QUEUE"], 0, -1)]
    assert message["headers"]["id"] == result.id and message["headers"]["retries"] == 1
    app.control.purge()
