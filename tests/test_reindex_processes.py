"""Issue 16 item 4: reindex with real processes. Two Celery workers rebuild the chunks of one
SQLite store while a third process ingests new files the whole time; a coordinator worker
runs the `newsworker.reindex` task the CLI enqueues. After the swap every article from
before and during the run is in the live generation exactly once, re-extracted. The same
end when a chunk's worker is SIGKILLed mid-chunk (its chunk handed to the other after the
broker's visibility timeout) and when the coordinator is killed and `reindex --resume`d.

Real Redis (db 15, a queue of the test's own), real worker and CLI processes, waits on
conditions with timeouts.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.celeryproc import IngestLoop, WorkerProcess, wait_for
from tests.conftest import REDIS_URL
from tests.test_reindex import OLD_VERSION, _copies
from tests.test_store_contract import IRAQ
from worker import locks
from worker.extract import EXTRACTOR_VERSION
from worker.reindex.runs import Runs, run_key
from worker.settings import Settings
from worker.store import SqliteStore

pytestmark = pytest.mark.integration

ARTICLES = 300
CHUNK = 20
WAIT = 90.0


@pytest.fixture
def proc_env(broker_env, tmp_path, monkeypatch, request):
    """broker_env plus small chunks, a short-lived lock and the visibility timeout the test names."""
    visibility = getattr(request, "param", 3600)
    env = {**broker_env, "NEWSWORKER_REDIS_URL": REDIS_URL, "NEWSWORKER_REINDEX_CHUNK_SIZE": str(CHUNK),
           "NEWSWORKER_REINDEX_LOCK_SECONDS": "3", "NEWSWORKER_BROKER_VISIBILITY_TIMEOUT": str(visibility),
           "NEWSWORKER_TASK_MAX_RETRIES": "1", "NEWSWORKER_TASK_RETRY_BACKOFF": "1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


class Cluster:
    """A coordinator worker on the main queue and two chunk workers on the reindex queue, each
    with a log of its own; the store seeded with ARTICLES articles an older extractor left."""

    def __init__(self, env: dict[str, str], tmp_path: Path):
        self.env, self.tmp = env, tmp_path
        self.settings = Settings()
        self.queue, self.reindex_queue = env["NEWSWORKER_QUEUE"], self.settings.reindex_queue_name
        self.coordinators: list[WorkerProcess] = []
        self.chunkers = [self._worker(f"chunks-{i}", [self.reindex_queue]) for i in range(2)]
        self.ingest = IngestLoop(env, tmp_path, tmp_path / "incoming")
        self.client = locks.connect(self.settings.lock_url)
        self.lock_name = locks.reindex_lock_name(self.settings)
        self.runs = Runs(self.client, run_key(self.lock_name))

    def _worker(self, name: str, queues: list[str]) -> WorkerProcess:
        return WorkerProcess(self.env, self.tmp, self.tmp / f"{name}.log", queues=queues)

    def seed(self) -> set[str]:
        store = SqliteStore(self.settings.database_path)
        store.upsert(_copies(IRAQ, ARTICLES, "old"))
        store.close()
        return {a.title for a in _copies(IRAQ, ARTICLES, "old")}

    def start_coordinator(self) -> WorkerProcess:
        worker = self._worker(f"coordinator-{len(self.coordinators)}", [self.queue]).start()
        self.coordinators.append(worker)
        return worker

    def start(self) -> None:
        for worker in [*self.chunkers]:
            worker.start()
        self.start_coordinator()
        for worker in [*self.chunkers, *self.coordinators]:
            wait_for(lambda w=worker: "ready." in w.tail(100_000), WAIT, f"{worker.log.name} ready", detail=self.logs)
        self.ingest.start()

    def cli(self, *args: str, timeout: float = WAIT) -> subprocess.CompletedProcess:
        exe = Path(sys.executable).with_name("newsworker")
        return subprocess.run([str(exe), *args], env={**os.environ, **self.env}, cwd=self.tmp, capture_output=True,
                              text=True, timeout=timeout)

    def logs(self) -> str:
        return "\n".join(f"--- {w.log.name}\n{w.tail(3000)}" for w in [*self.chunkers, *self.coordinators])

    def stop(self) -> None:
        self.ingest.stop()
        for worker in [*self.chunkers, *self.coordinators]:
            worker.stop()
        record = self.runs.load()
        if record is not None:
            self.runs.clear(record.id)
        self.client.delete(self.lock_name)
        self.client.close()

    def finish_writing(self, swapped_at: float) -> None:
        """One more whole batch after the swap, so writes before, during and after it are all checked."""
        wait_for(lambda: self.ingest.batches_after(swapped_at) >= 1, WAIT, "a batch ingested after the swap",
                 detail=lambda: "\n".join(self.ingest.errors))
        self.ingest.stop()
        assert not self.ingest.errors, self.ingest.errors

    def check_live(self, before: set[str], started: float, swapped_at: float) -> dict:
        """Every title from before and from the ingest loop is in the live generation once, re-extracted."""
        store = SqliteStore(self.settings.database_path)
        versions = store.versions()
        path = store.generations.path(versions.live.version)
        store.close()
        assert versions.live.version == 2 and versions.building is None
        with sqlite3.connect(path) as conn:
            docs = [json.loads(doc) for (doc,) in conn.execute("SELECT doc FROM articles")]
        titles = Counter(d["title"] for d in docs)
        ingested = {t for titles_, _, _ in self.ingest.batches for t in titles_}
        expected = before | ingested
        lost = sorted(expected - set(titles))
        doubled = sorted(t for t, n in titles.items() if n > 1)
        stale = sorted(d["id"] for d in docs if d["extractor_version"] != EXTRACTOR_VERSION)
        assert (lost, doubled, stale) == ([], [], []), (f"{len(lost)} lost, {len(doubled)} doubled, "
                                                        f"{len(stale)} not re-extracted\n{self.logs()}")
        assert set(titles) == expected  # nothing else either
        during = sum(1 for _, _, finished in self.ingest.batches if started < finished < swapped_at)
        assert during >= 1, "no batch was ingested while the reindex ran: the test proved nothing"
        return {"articles": len(docs), "before": len(before), "ingested": len(ingested), "batches_during": during}


@pytest.fixture
def cluster(proc_env, tmp_path):
    made = Cluster(proc_env, tmp_path)
    yield made
    made.stop()


def _report(done: subprocess.CompletedProcess, cluster: Cluster) -> dict:
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{cluster.logs()}"
    return json.loads(done.stdout)


def _chunk_lines(worker: WorkerProcess, word: str) -> list[str]:
    """Ids of the reindex_chunk tasks the worker logged as ``word`` (received, succeeded)."""
    marker = "Task newsworker.reindex_chunk["
    return [line.split(marker, 1)[1].split("]", 1)[0] for line in worker.tail(1_000_000).splitlines()
            if marker in line and f"] {word}" in line]


def test_two_workers_reindex_while_a_third_process_ingests(cluster):
    before = cluster.seed()
    cluster.start()
    wait_for(lambda: cluster.ingest.batches, WAIT, "the first ingested batch", detail=lambda: "\n".join(cluster.ingest.errors))
    started = time.monotonic()

    report = _report(cluster.cli("reindex", "--wait", "--json", "--timeout", str(WAIT)), cluster)
    swapped_at = time.monotonic()
    cluster.finish_writing(swapped_at)

    assert (report["from_version"], report["to_version"], report["failed"]) == (1, 2, [])
    assert report["chunks"] >= ARTICLES // CHUNK
    counts = cluster.check_live(before, started, swapped_at)
    # Both chunk workers did chunks: the work was fanned out, not done by one.
    assert all(_chunk_lines(w, "succeeded") for w in cluster.chunkers), cluster.logs()
    print(f"\n{counts}, reindex {report['seconds']} s")


@pytest.mark.parametrize("proc_env", [5], indirect=True)
def test_a_worker_killed_mid_chunk_loses_nothing(cluster):
    """SIGKILL: no acknowledgement; after the 5 s visibility timeout the chunk is handed to the other worker."""
    before = cluster.seed()
    cluster.start()
    wait_for(lambda: cluster.ingest.batches, WAIT, "the first ingested batch", detail=lambda: "\n".join(cluster.ingest.errors))
    started = time.monotonic()
    victim, survivor = cluster.chunkers
    cluster.cli("reindex")  # enqueued; the coordinator worker runs it

    def mid_chunk():
        running = set(_chunk_lines(victim, "received")) - set(_chunk_lines(victim, "succeeded"))
        return running if running and _chunk_lines(victim, "succeeded") else None

    [stranded] = wait_for(mid_chunk, WAIT, "the victim worker in the middle of a chunk", every=0.02, detail=cluster.logs)
    victim.kill()
    wait_for(lambda: stranded in _chunk_lines(survivor, "succeeded"), WAIT, f"chunk {stranded} redelivered to the other worker",
             detail=cluster.logs)
    wait_for(lambda: Runs(cluster.client, run_key(cluster.lock_name)).load() is None and cluster.client.get(cluster.lock_name) is None,
             WAIT, "the reindex to finish", detail=cluster.logs)
    swapped_at = time.monotonic()
    cluster.finish_writing(swapped_at)
    counts = cluster.check_live(before, started, swapped_at)
    # The coordinator's own message outlived the visibility timeout too: its copy, run after it
    # finished, returns the report and reindexes nothing again.
    [coordinator] = cluster.coordinators
    wait_for(lambda: "delivered again after it finished" in coordinator.tail(100_000), WAIT,
             "the coordinator's redelivered copy", detail=cluster.logs)
    store = SqliteStore(cluster.settings.database_path)
    assert [v.version for v in store.versions().kept] == [1, 2] and store.versions().live.version == 2
    store.close()
    print(f"\n{counts}, chunk {stranded} redelivered")


def test_a_coordinator_killed_mid_run_is_resumed(cluster):
    before = cluster.seed()
    cluster.start()
    wait_for(lambda: cluster.ingest.batches, WAIT, "the first ingested batch", detail=lambda: "\n".join(cluster.ingest.errors))
    started = time.monotonic()
    enqueued = cluster.cli("reindex")
    assert enqueued.returncode == 0, enqueued.stderr

    def some_chunks_done():
        record = cluster.runs.load()
        return record is not None and len(cluster.runs.reports(record.id)) >= 2

    wait_for(some_chunks_done, WAIT, "two chunks done", every=0.02, detail=cluster.logs)
    [coordinator] = cluster.coordinators
    coordinator.kill()
    wait_for(lambda: cluster.client.get(cluster.lock_name) is None, 30, "the dead coordinator's lock to expire")
    cluster.start_coordinator()
    wait_for(lambda: "ready." in cluster.coordinators[-1].tail(100_000), WAIT, "the new coordinator ready", detail=cluster.logs)

    report = _report(cluster.cli("reindex", "--resume", "--wait", "--json", "--timeout", str(WAIT)), cluster)
    swapped_at = time.monotonic()
    cluster.finish_writing(swapped_at)

    assert (report["from_version"], report["to_version"], report["failed"]) == (1, 2, [])
    assert report["read"] >= ARTICLES
    counts = cluster.check_live(before, started, swapped_at)
    print(f"\n{counts}, resumed: {report['seconds']} s")


assert OLD_VERSION != EXTRACTOR_VERSION  # the seeded articles are stale, so "re-extracted" is observable
