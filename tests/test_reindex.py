"""Reindex: the orchestration over the ArticleStore interface, the Celery task, the CLI.

Real spaCy extraction, real Redis (db 15) for the lock, real store files.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from celery.result import AsyncResult
from click.testing import CliRunner

from tests.celeryproc import WorkerProcess
from tests.conftest import REDIS_URL, SEED, require_redis
from tests.test_store_contract import ALL, IRAQ
from worker import locks
from worker import reindex as reindexing
from worker.celery_app import create_app
from worker.cli.main import cli
from worker.cli.reindex import _follow
from worker.errors import LockLostError, ReindexBusyError, ReindexVerifyError, StoreError
from worker.extract import Extractor
from worker.ingest import ingest_files
from worker.models import EventQuery, Failure, IndexOutcome, SearchQuery
from worker.sources.metadata import Overrides
from worker.store import SqliteStore, make_store
from worker.tasks import REINDEX

OLD_VERSION = "0-before-upgrade"
DERIVED = {"entities", "figures", "events", "extractor_version"}

# Stores the orchestration and the task run on (the CLI tests use SQLite: they test the
# command, not the store). A new store joins by adding its name here and a branch in
# rebuild_store / rebuild_settings.
REBUILD_STORES = ["sqlite", "elasticsearch"]


@pytest.fixture(scope="module", autouse=True)
def _redis():
    require_redis("the reindex lock lives there; start redis-server")


@pytest.fixture(params=REBUILD_STORES)
def rebuild_settings(request, env_settings):
    """Settings naming the store under test (the lock is named after them)."""
    if request.param == "sqlite":
        return env_settings(redis_url=REDIS_URL)
    cluster = request.getfixturevalue("es_cluster")
    es = cluster.settings(request.getfixturevalue("es_prefix"))
    return env_settings(redis_url=REDIS_URL, store="elasticsearch", es=es.model_dump())


@pytest.fixture
def rebuild_store(request, rebuild_settings):
    if rebuild_settings.store == "sqlite":
        store = make_store(rebuild_settings)
    else:  # the test cluster's own store: on osmem the client needs the fixture's node class
        store = request.getfixturevalue("es_cluster").store(rebuild_settings.es.index_prefix)
        store.setup()
    yield store
    store.close()


def _seed(store, extractor) -> list[str]:
    """The seed through the real pipeline, stored as an older extractor left it, plus hand-made articles."""
    report = ingest_files([SEED], store, extractor, Overrides(source="Seed Wire"), 20 * 1024 * 1024, roots=[SEED.parent])
    [outcome] = report.indexed
    stale = store.get(outcome.id).model_copy(
        update={"extractor_version": OLD_VERSION, "entities": [], "figures": [], "events": []})
    store.upsert([stale, *ALL])
    return [outcome.id, *(a.id for a in ALL)]


@pytest.fixture
def seeded(rebuild_store, extractor) -> list[str]:
    return _seed(rebuild_store, extractor)


def _app(settings, store, extractor):
    """The Celery app of these settings, its runtime using the test's store and loaded model."""
    app = create_app(settings)
    app.newsworker_runtime.__dict__.update(store=store, extractor=extractor)
    return app


@pytest.fixture
def lock_client():
    client = locks.connect(REDIS_URL)
    yield client
    client.close()


def _ids(result) -> list[str]:
    return [hit.id for hit in result.hits]


def _kept(store) -> list[int]:
    return [v.version for v in store.versions().kept]


# -- the orchestration, over the store interface ---------------------------------------------


def test_reindex_re_extracts_from_stored_text_and_swaps(rebuild_store, extractor, seeded):
    seed_id = seeded[0]
    before = {i: rebuild_store.get(i) for i in seeded}
    troops_in_iraq = SearchQuery(entity="Iraq", figure_category="troops", figure_min=2000)
    assert seed_id not in _ids(rebuild_store.search(troops_in_iraq))  # the stale copy has no figures
    calls: list[tuple[int, int]] = []

    report = reindexing.run(rebuild_store, extractor, progress=lambda p: calls.append((p.done, p.total)), batch_size=2)

    assert (report.from_version, report.to_version, report.read, report.articles, report.failed) == (1, 2, 4, 4, [])
    versions = rebuild_store.versions()
    assert (versions.live.version, versions.live.articles, versions.previous.version) == (2, 4, 1)
    for article_id, old in before.items():
        new = rebuild_store.get(article_id)
        assert new.extractor_version == extractor.version
        assert new.model_dump(exclude=DERIVED) == old.model_dump(exclude=DERIVED)  # text and metadata intact
    assert rebuild_store.get(seed_id).figures
    assert seed_id in _ids(rebuild_store.search(troops_in_iraq))
    assert seed_id in _ids(rebuild_store.search(SearchQuery(text="troop drawdown")))
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_reindex_and_rollback_rebuild_the_events_rollup(rebuild_store, extractor, seeded):
    seed_id = seeded[0]
    iraq = EventQuery(location="Iraq", type="troop_level")

    def seed_events() -> list[str]:
        return [r.key for r in rebuild_store.search_events(iraq) if seed_id in r.article_ids]

    # _seed wrote the stale copy behind ingest's back; bring the rollup in line with it first
    reindexing.rebuild_events(rebuild_store, [("troops", None, "Iraq")])
    assert seed_events() == []  # the stale copy carries no events
    reindexing.run(rebuild_store, extractor)
    assert "troop_level:united-states:iraq:2500:2021-01-15" in seed_events()
    reindexing.rollback(rebuild_store)
    assert seed_events() == []  # back to what the restored generation says


def test_rollback_restores_the_old_generation(rebuild_store, extractor, seeded):
    reindexing.run(rebuild_store, extractor)
    report = reindexing.rollback(rebuild_store)
    assert (report.from_version, report.to_version, report.articles) == (2, 1, 4)
    assert rebuild_store.versions().live.version == 1
    assert rebuild_store.get(seeded[0]).extractor_version == OLD_VERSION
    with pytest.raises(StoreError):
        reindexing.rollback(rebuild_store)


def test_rollback_never_makes_a_half_built_generation_live(rebuild_store, extractor, seeded):
    """Issue 18 item 8: a reindex killed mid-way left v2 half-built; after a later complete
    reindex (v3), --rollback made v2 live with part of the articles."""
    half = rebuild_store.create_next_version()  # the killed run: created, partly loaded, never swapped
    rebuild_store.load_into(half, [rebuild_store.get(seeded[0])])
    reindexing.run(rebuild_store, extractor)  # a later run that finishes: v3
    assert rebuild_store.versions().live.version == 3

    report = reindexing.rollback(rebuild_store)

    assert (report.from_version, report.to_version, report.articles) == (3, 1, 4)
    assert rebuild_store.versions().live.version == 1


class _FailsOn(Extractor):
    """The real extractor, except that the articles named fail the way a crashing one does."""

    def __init__(self, inner: Extractor, ids: set[str]):
        self.inner, self.ids, self.version = inner, ids, inner.version

    def extract_many(self, articles):
        results = self.inner.extract_many(articles)
        return [Failure(origin=a.origin or a.id, reason="extraction failed: ValueError: test fault", stage="extract")
                if a.id in self.ids else r for a, r in zip(articles, results)]


def test_an_article_failing_re_extraction_is_reported_not_silently_dropped(rebuild_store, extractor, seeded):
    report = reindexing.run(rebuild_store, _FailsOn(extractor, {IRAQ.id}))
    assert [(f.id, f.origin, f.stage, f.reason) for f in report.failed] == [
        (IRAQ.id, IRAQ.origin, "extract", "extraction failed: ValueError: test fault")]
    assert (report.read, report.articles) == (4, 3)
    assert rebuild_store.versions().live.articles == 3 and rebuild_store.get(IRAQ.id) is None
    reindexing.rollback(rebuild_store)
    assert rebuild_store.get(IRAQ.id) == IRAQ  # still in the generation kept for rollback


def test_lost_lock_stops_before_the_swap_and_drops_the_new_generation(rebuild_store, rebuild_settings, extractor, seeded, lock_client):
    name = locks.reindex_lock_name(rebuild_settings)
    with locks.held(lock_client, name) as lock:
        lock_client.set(name, b"taken over")
        with pytest.raises(LockLostError):
            reindexing.run(rebuild_store, extractor, before_swap=lock.verify)
    lock_client.delete(name)
    assert rebuild_store.versions().live.version == 1 and _kept(rebuild_store) == [1]


def test_a_count_mismatch_is_not_swapped_in(tmp_path, extractor):
    class LosesOne(SqliteStore):
        """A store that silently loses the first document of every load."""

        def load_chunk(self, target, source, articles):
            return super().load_chunk(target, source, articles[1:])

    store = LosesOne(tmp_path / "newsworker.db")
    store.upsert(ALL)
    with pytest.raises(ReindexVerifyError, match=r"v2 holds 2 articles but 3 were expected .* v1 stays live"):
        reindexing.run(store, extractor)
    assert store.versions().live.version == 1 and _kept(store) == [1] and store.stats().articles == 3
    store.close()


def test_documents_the_store_refuses_are_named_and_not_swapped_in(tmp_path, extractor):
    class RefusesIraq(SqliteStore):
        """A store that refuses one document with a reason, as Elasticsearch's bulk API can."""

        def load_chunk(self, target, source, articles):
            kept = [a for a in articles if a.id != IRAQ.id]
            refused = [IndexOutcome(id=a.id, origin=a.origin, status="failed", reason="mapper_parsing_exception: bad value")
                       for a in articles if a.id == IRAQ.id]
            return super().load_chunk(target, source, kept) + refused

    store = RefusesIraq(tmp_path / "newsworker.db")
    store.upsert(ALL)
    with pytest.raises(ReindexVerifyError, match=rf"the store refused 1: {IRAQ.id}: mapper_parsing_exception: bad value"):
        reindexing.run(store, extractor)
    assert store.versions().live.version == 1 and _kept(store) == [1]
    store.close()


def test_plan_says_what_would_happen(rebuild_store, seeded):
    plan = reindexing.plan(rebuild_store, "9")
    assert (plan.live.version, plan.articles, plan.next_version, plan.previous) == (1, 4, 2, None)


# -- the Celery task and its lock --------------------------------------------------------------


def test_a_second_reindex_is_refused_while_the_lock_is_held(rebuild_store, rebuild_settings, seeded, lock_client, extractor):
    app = _app(rebuild_settings, rebuild_store, extractor)
    with locks.held(lock_client, locks.reindex_lock_name(rebuild_settings), task_id="first-reindex"):
        with pytest.raises(ReindexBusyError, match="already running .*task first-reindex"):
            app.tasks[REINDEX].apply(throw=True)
    assert _kept(rebuild_store) == [1]
    report = app.tasks[REINDEX].apply(throw=True).get()
    assert report["to_version"] == 2
    assert lock_client.get(locks.reindex_lock_name(rebuild_settings)) is None  # released at the end


def test_two_reindexes_at_once_one_is_refused(rebuild_store, rebuild_settings, seeded, extractor):
    app = _app(rebuild_settings, rebuild_store, extractor)
    started, release = threading.Event(), threading.Event()

    def slow(progress):
        started.set()
        release.wait(30)

    from worker.tasks import eager_progress

    outcome: dict = {}

    def first():
        token = eager_progress.set(slow)
        try:
            outcome["first"] = app.tasks[REINDEX].apply(throw=True).get()
        finally:
            eager_progress.reset(token)

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(30)
    with pytest.raises(ReindexBusyError):
        _app(rebuild_settings, rebuild_store, extractor).tasks[REINDEX].apply(throw=True)
    release.set()
    thread.join(60)
    assert outcome["first"]["to_version"] == 2 and _kept(rebuild_store) == [1, 2]


# -- the CLI ----------------------------------------------------------------------------------


@pytest.fixture
def cli_settings(env_settings):
    return env_settings(redis_url=REDIS_URL)


@pytest.fixture
def cli_store(cli_settings, extractor):
    store = make_store(cli_settings)
    _seed(store, extractor)
    yield store
    store.close()


@pytest.fixture
def run_cli(cli_store, monkeypatch):
    monkeypatch.setenv("NEWSWORKER_REDIS_URL", REDIS_URL)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(cli, ["reindex", *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return invoke


def test_cli_reindex_wait_prints_progress_and_the_summary(run_cli, cli_store):
    result = run_cli("--wait")
    assert "Running in process: no broker configured" in result.stderr
    assert "Reindex: 0/4 articles" in result.stderr and "Reindex: 4/4 articles" in result.stderr
    assert f"v1 -> v2 ({cli_store.versions().live.name}), 4 of 4 articles re-extracted" in result.stdout
    assert "`newsworker reindex --rollback` makes it live again" in result.stdout
    rolled = json.loads(run_cli("--rollback", "--json").stdout)
    assert (rolled["from_version"], rolled["to_version"]) == (2, 1)


def test_cli_dry_run_changes_nothing(run_cli, cli_store, cli_settings):
    folder = cli_settings.database_path.parent
    files_before, versions_before = sorted(p.name for p in folder.iterdir()), cli_store.versions()
    out = run_cli("--dry-run").stdout
    assert "Dry run: nothing was changed." in out
    assert "A reindex would create v2, re-extract the 4 live articles" in out
    assert out.rstrip().endswith(": free.")
    data = json.loads(run_cli("--dry-run", "--json").stdout)
    assert (data["plan"]["next_version"], data["lock"]["holder"]) == (2, None)
    assert "A rollback would fail" in run_cli("--dry-run", "--rollback").stdout
    assert sorted(p.name for p in folder.iterdir()) == files_before
    assert cli_store.versions() == versions_before


def test_cli_refuses_a_second_reindex_with_a_clear_message(run_cli, cli_store, cli_settings, lock_client):
    with locks.held(lock_client, locks.reindex_lock_name(cli_settings), task_id="abc-123"):
        result = run_cli("--wait", code=1)
        assert "a reindex of this store is already running (held by" in result.output
        assert "task abc-123" in result.output
        assert "held by" in run_cli("--dry-run").stdout
    assert _kept(cli_store) == [1]


def test_cli_refuses_to_run_unlocked_when_redis_is_down(run_cli, cli_store, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("NEWSWORKER_REDIS_URL", f"redis://127.0.0.1:{port}/0")
    result = run_cli(code=1)
    assert "does not answer" in result.output and "never runs unlocked" in result.output
    assert _kept(cli_store) == [1]


def test_wait_follows_the_progress_state_in_the_result_backend(cli_store, cli_settings, extractor, capsys):
    app = create_app(cli_settings.model_copy(update={"broker_url": REDIS_URL}))
    report = reindexing.run(cli_store, extractor).model_dump(mode="json")
    task_id = f"test-follow-{time.monotonic_ns()}"
    backend = app.backend
    backend.store_result(task_id, {"done": 0, "total": 4}, "PROGRESS")

    def worker_side():
        time.sleep(0.8)
        backend.store_result(task_id, {"done": 4, "total": 4}, "PROGRESS")
        time.sleep(0.8)
        backend.store_result(task_id, report, "SUCCESS")

    thread = threading.Thread(target=worker_side)
    thread.start()
    try:
        assert _follow(AsyncResult(task_id, app=app), "Reindex", timeout=30) == report
    finally:
        thread.join()
        backend.forget(task_id)
    err = capsys.readouterr().err
    assert "Reindex: 0/4 articles" in err and "Reindex: 4/4 articles" in err


@pytest.fixture
def reindex_workers(broker_env, tmp_path):
    """Two solo workers on the main and the reindex queue: the coordinator holds one slot."""
    queues = [broker_env["NEWSWORKER_QUEUE"], f"{broker_env['NEWSWORKER_QUEUE']}-reindex"]
    workers = [WorkerProcess(broker_env, tmp_path, tmp_path / "worker.log", queues=queues).start() for _ in range(2)]
    yield workers
    for worker in workers:
        worker.stop()


@pytest.mark.integration
def test_cli_reindex_through_a_real_worker(reindex_workers, broker_env, tmp_path):
    store = SqliteStore(tmp_path / "var" / "newsworker.db")
    store.upsert(ALL)
    store.close()
    result = CliRunner().invoke(cli, ["reindex", "--wait", "--timeout", "180"], catch_exceptions=False)
    assert result.exit_code == 0, result.output + (tmp_path / "worker.log").read_text()[-3000:]
    assert "Enqueued reindex task" in result.stderr
    assert "Reindexed the sqlite store: v1 -> v2" in result.stdout and "3 of 3 articles" in result.stdout
    store = SqliteStore(tmp_path / "var" / "newsworker.db")
    assert store.versions().live.version == 2 and store.get(IRAQ.id).extractor_version != IRAQ.extractor_version
    store.close()


# -- issue 16: chunks, and nothing written meanwhile lost ---------------------------------------


def _copies(template, n: int, tag: str):
    """``n`` distinct articles shaped like ``template``, stored as an older extractor left them."""
    return [template.model_copy(update={
        "id": f"{tag}-{i:04d}", "url": f"https://example.test/{tag}/{i}", "canonical_url": f"https://example.test/{tag}/{i}",
        "title": f"{template.title} ({tag} {i})", "body": f"{template.body}\n\nUpdate {tag} {i}.",
        "content_hash": f"{tag}{i:060d}", "extractor_version": OLD_VERSION, "duplicate_of": None,
        "entities": [], "figures": [], "events": []}) for i in range(n)]


def test_writes_made_while_the_chunks_run_reach_the_new_generation(rebuild_store, extractor):
    """Item 3: every kind of write between the first chunk and the swap (new articles, an update,
    a near-copy link) is in the live generation after it, each article once."""
    rebuild_store.upsert(_copies(IRAQ, 12, "old"))
    written: dict[str, list[str]] = {"new": []}

    def write_meanwhile(record, number):
        # In the middle of the run: a new article, an update of a chunk already done and of one to come, a link.
        fresh = extractor.extract_many(_copies(IRAQ, 1, f"new{number}"))
        rebuild_store.upsert(fresh)
        written["new"].append(fresh[0].id)
        if number == 1:
            # As ingest updates it: a new text, extracted afresh.
            changed = rebuild_store.get("old-0000").model_copy(update={
                "title": "Updated while reindexing", "content_hash": "f" * 64, "entities": [], "figures": [],
                "events": [], "extractor_version": None})
            rebuild_store.upsert(extractor.extract_many([changed]))
            rebuild_store.set_duplicate_of({"old-0011": "old-0010"})
        reindexing._here(rebuild_store, extractor, runs)(record, number)

    runs = reindexing.MemoryRuns()
    report = reindexing.run(rebuild_store, extractor, batch_size=4, runs=runs, dispatch=write_meanwhile)

    # A chunk read after a write may read its article too (the last range is open): it finds it there and keeps it.
    assert report.chunks == 3 and 12 <= report.read <= 15
    live = rebuild_store.versions().live
    assert live.version == 2 and live.articles == 12 + len(written["new"]) == report.live_articles
    assert rebuild_store.get("old-0000").title == "Updated while reindexing"
    assert rebuild_store.get("old-0011").duplicate_of == "old-0010"
    for article_id in ["old-0000", "old-0005", *written["new"]]:
        assert rebuild_store.get(article_id).extractor_version == extractor.version
    assert rebuild_store.versions().building is None


def test_an_unfinished_run_is_resumed_not_restarted(rebuild_store, extractor, lock_client, rebuild_settings):
    """Item 2: a coordinator that stopped after some chunks; a new reindex is refused, --resume
    rebuilds only the chunks not done."""
    from worker.errors import ReindexUnfinishedError
    from worker.reindex.runs import Runs, run_key

    rebuild_store.upsert(_copies(IRAQ, 9, "old"))
    runs = Runs(lock_client, run_key(locks.reindex_lock_name(rebuild_settings)))
    done: list[int] = []

    def dies_after_two(record, number):
        if len(done) == 2:
            raise KeyboardInterrupt("coordinator killed")
        reindexing._here(rebuild_store, extractor, runs)(record, number)
        done.append(number)

    with pytest.raises(KeyboardInterrupt):
        reindexing.run(rebuild_store, extractor, batch_size=3, runs=runs, dispatch=dies_after_two)
    try:
        assert rebuild_store.versions().building.version == 2
        with pytest.raises(ReindexUnfinishedError, match="--resume"):
            reindexing.run(rebuild_store, extractor, batch_size=3, runs=runs)
        rebuilt: list[int] = []

        def counted(record, number):
            rebuilt.append(number)
            reindexing._here(rebuild_store, extractor, runs)(record, number)

        report = reindexing.run(rebuild_store, extractor, runs=runs, dispatch=counted, resume=True)
    finally:
        record = runs.load()
        if record:
            runs.clear(record.id)
    assert rebuilt == [2] and report.read == 9 and rebuild_store.versions().live.version == 2
    assert reindexing.rollback(rebuild_store).to_version == 1
