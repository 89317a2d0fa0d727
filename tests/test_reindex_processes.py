"""Issue 16 item 4: reindex with real processes, on both stores. Two Celery workers rebuild
the chunks of one store while a third process ingests new files the whole time; a
coordinator worker runs the `newsworker.reindex` task the CLI enqueues. After the swap every
article from before and during the run is in the live generation exactly once, re-extracted.
The same end when a chunk's worker is SIGKILLed mid-chunk (its chunk handed to the other
after the broker's visibility timeout), when the coordinator is killed and `reindex
--resume`d, and when it dies before it has even sent every chunk (the resume sends the rest,
none twice). `reindex --rollback` after a fanned-out run restores the generation it replaced.

Elasticsearch is osmem-server (one for the session, an index prefix per test) behind the
test proxy, which gives the workers' and CLI's unmodified clients the media types osmem
takes; with NEWSWORKER_TEST_ES_URL they talk to that cluster directly.

Real Redis (a redis-server of the module's own, see redis_url), real worker and CLI
processes, waits on conditions with timeouts.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.celeryproc import IngestLoop, RedisServer, WorkerProcess, stop_all, wait_for
from tests.esproxy import EsProxy
from tests.esserver import TEST_API_KEY
from tests.test_reindex import OLD_VERSION, _copies
from tests.test_store_contract import IRAQ
from worker import locks
from worker.extract import EXTRACTOR_VERSION
from worker.reindex.runs import Runs, run_key
from worker.settings import Settings
from worker.store import SqliteStore

pytestmark = pytest.mark.integration

ARTICLES = 240
CHUNK = 20
WAIT = 90.0
DYING_COORDINATOR = Path(__file__).with_name("dying_coordinator.py")


@pytest.fixture(scope="module")
def es_url(es_cluster):
    """Where the processes reach the test cluster: osmem through the proxy (their clients send
    versioned media types), a real cluster as it is."""
    if not es_cluster.osmem:
        yield es_cluster.url
        return
    with EsProxy(es_cluster.url) as proxy:
        yield proxy.url


@pytest.fixture(params=["sqlite", "elasticsearch"])
def store_env(request) -> dict[str, str]:
    """NEWSWORKER_* naming the store under test, for the processes and this one alike."""
    if request.param == "sqlite":
        return {"NEWSWORKER_STORE": "sqlite"}
    return {"NEWSWORKER_STORE": "elasticsearch", "NEWSWORKER_ES__URL": request.getfixturevalue("es_url"),
            "NEWSWORKER_ES__INDEX_PREFIX": request.getfixturevalue("es_prefix"), "NEWSWORKER_ES__API_KEY": TEST_API_KEY}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A redis-server of this module's own. Kombu keeps one index of unacknowledged messages per
    database, and any worker on it hands back every queue's messages older than its own
    visibility timeout: another test run's worker with a short one (on the shared db 15) would
    hand a killed coordinator's message out again in the middle of a test here."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), persist=False).start()
    yield server.url
    server.stop()


@pytest.fixture
def proc_env(broker_env, store_env, redis_url, tmp_path, monkeypatch, request):
    """broker_env on this module's Redis and the store, plus small chunks, a short-lived lock and
    the visibility timeout the test names."""
    visibility = getattr(request, "param", 3600)
    env = {**broker_env, **store_env, "NEWSWORKER_BROKER_URL": redis_url, "NEWSWORKER_REDIS_URL": redis_url,
           "NEWSWORKER_REINDEX_CHUNK_SIZE": str(CHUNK),
           "NEWSWORKER_REINDEX_LOCK_SECONDS": "3", "NEWSWORKER_BROKER_VISIBILITY_TIMEOUT": str(visibility),
           "NEWSWORKER_TASK_MAX_RETRIES": "1", "NEWSWORKER_TASK_RETRY_BACKOFF": "1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


class Cluster:
    """A coordinator worker on the main queue and two chunk workers on the reindex queue, each
    with a log of its own; the store seeded with ARTICLES articles an older extractor left."""

    def __init__(self, env: dict[str, str], tmp_path: Path, es_cluster=None):
        self.env, self.tmp, self.es_cluster = env, tmp_path, es_cluster
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

    def store(self):
        """The store under test as this process reaches it (on osmem: the client the fixture makes)."""
        if self.settings.store == "sqlite":
            return SqliteStore(self.settings.database_path)
        return self.es_cluster.store(self.settings.es.index_prefix)

    def seed(self) -> set[str]:
        with self.store() as store:
            store.setup()
            store.upsert(_copies(IRAQ, ARTICLES, "old"))
        return {a.title for a in _copies(IRAQ, ARTICLES, "old")}

    def versions(self):
        with self.store() as store:
            return store.versions()

    def live_docs(self) -> list[dict]:
        """Every document of the live generation, read from the generation itself (not through the store's API)."""
        with self.store() as store:
            live = store.versions().live
            if self.settings.store == "sqlite":
                with sqlite3.connect(store.generations.path(live.version)) as conn:
                    return [json.loads(doc) for (doc,) in conn.execute("SELECT doc FROM articles")]
            store.client.indices.refresh(index=live.name)
            body = store.client.search(index=live.name, size=10_000, query={"match_all": {}}, track_total_hits=True).body
            assert body["hits"]["total"]["value"] == len(body["hits"]["hits"])
            return [hit["_source"] for hit in body["hits"]["hits"]]

    def start_coordinator(self) -> WorkerProcess:
        worker = self._worker(f"coordinator-{len(self.coordinators)}", [self.queue]).start()
        self.coordinators.append(worker)
        return worker

    def start(self) -> None:
        """The workers and the writer, started side by side (the writer's model loads meanwhile)."""
        for worker in [*self.chunkers]:
            worker.start()
        self.start_coordinator()
        self.ingest.start()
        for worker in [*self.chunkers, *self.coordinators]:
            wait_for(lambda w=worker: "ready." in w.tail(100_000), WAIT, f"{worker.log.name} ready", detail=self.logs)

    def cli(self, *args: str, timeout: float = WAIT) -> subprocess.CompletedProcess:
        exe = Path(sys.executable).with_name("newsworker")
        return subprocess.run([str(exe), *args], env={**os.environ, **self.env}, cwd=self.tmp, capture_output=True,
                              text=True, timeout=timeout)

    def logs(self) -> str:
        return "\n".join(f"--- {w.log.name}\n{w.tail(3000)}" for w in [*self.chunkers, *self.coordinators])

    def stop(self) -> None:
        self.ingest.stop()
        stop_all([*self.chunkers, *self.coordinators])
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
        versions = self.versions()
        assert versions.live.version == 2 and versions.building is None
        docs = self.live_docs()
        titles = Counter(d["title"] for d in docs)
        ingested = self.ingested()
        expected = before | ingested
        lost = sorted(expected - set(titles))
        doubled = sorted(t for t, n in titles.items() if n > 1)
        stale = sorted(d["id"] for d in docs if d["extractor_version"] != EXTRACTOR_VERSION)
        assert (lost, doubled, stale) == ([], [], []), (f"{len(lost)} lost, {len(doubled)} doubled, "
                                                        f"{len(stale)} not re-extracted\n{self.logs()}")
        assert set(titles) == expected  # nothing else either
        during = sum(1 for _, _, finished in self.ingest.batches if started < finished < swapped_at)
        assert during >= 1, "no batch was ingested while the reindex ran: the test proved nothing"
        return {"store": self.settings.store, "articles": len(docs), "before": len(before), "ingested": len(ingested),
                "batches_during": during}

    def ingested(self, until: float = float("inf")) -> set[str]:
        return {t for titles, _, finished in self.ingest.batches if finished < until for t in titles}


@pytest.fixture
def cluster(proc_env, tmp_path, request):
    es = request.getfixturevalue("es_cluster") if proc_env["NEWSWORKER_STORE"] == "elasticsearch" else None
    made = Cluster(proc_env, tmp_path, es)
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

    # Rollback after the fanned-out run: v1 is live again, the stale articles as they were and
    # what was written while it was live: surely what came before the reindex; what came after
    # the swap (a moment the test only bounds) went to v2 alone.
    rolled = _report(cluster.cli("reindex", "--rollback", "--wait", "--json", "--timeout", str(WAIT)), cluster)
    assert (rolled["from_version"], rolled["to_version"]) == (2, 1)
    versions = cluster.versions()
    assert (versions.live.version, versions.building) == (1, None)
    docs = cluster.live_docs()
    titles = Counter(d["title"] for d in docs)
    assert before | cluster.ingested(until=started) <= set(titles) <= before | cluster.ingested()
    assert max(titles.values()) == 1
    assert {d["extractor_version"] for d in docs if d["title"] in before} == {OLD_VERSION}
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
    versions = cluster.versions()
    assert [v.version for v in versions.kept] == [1, 2] and versions.live.version == 2
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


def test_a_coordinator_dead_before_sending_every_chunk_is_resumed(cluster):
    """The coordinator SIGKILLs itself about to send chunk DIES_AT: the chunks after it were never
    sent. `--resume` sends exactly those; every chunk is run once, none twice."""
    dies_at = 3
    before = cluster.seed()
    cluster.start()
    wait_for(lambda: cluster.ingest.batches, WAIT, "the first ingested batch", detail=lambda: "\n".join(cluster.ingest.errors))
    started = time.monotonic()
    dead = subprocess.run([sys.executable, str(DYING_COORDINATOR), str(dies_at)], env={**os.environ, **cluster.env},
                          cwd=cluster.tmp, capture_output=True, text=True, timeout=WAIT)
    assert dead.returncode == -signal.SIGKILL, f"{dead.stdout}\n{dead.stderr}"
    record = cluster.runs.load()
    assert record is not None and len(record.chunks) > dies_at
    wait_for(lambda: len(cluster.runs.reports(record.id)) >= dies_at, WAIT, f"the {dies_at} chunks sent to be done",
             detail=cluster.logs)
    assert sorted(cluster.runs.reports(record.id)) == list(range(dies_at))  # nothing sent, nothing done
    wait_for(lambda: cluster.client.get(cluster.lock_name) is None, 30, "the dead coordinator's lock to expire")

    report = _report(cluster.cli("reindex", "--resume", "--wait", "--json", "--timeout", str(WAIT)), cluster)
    swapped_at = time.monotonic()
    cluster.finish_writing(swapped_at)

    assert (report["from_version"], report["to_version"], report["failed"], report["chunks"]) == (1, 2, [], len(record.chunks))
    runs = Counter(task for w in cluster.chunkers for task in _chunk_lines(w, "succeeded"))
    assert runs == Counter(f"reindex-{record.id}-{n}" for n in range(len(record.chunks))), cluster.logs()
    counts = cluster.check_live(before, started, swapped_at)
    print(f"\n{counts}, {len(record.chunks) - dies_at} of {len(record.chunks)} chunks first sent by the resume")


assert OLD_VERSION != EXTRACTOR_VERSION  # the seeded articles are stale, so "re-extracted" is observable
