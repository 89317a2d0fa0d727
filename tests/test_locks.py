"""The reindex lock against the real Redis on 127.0.0.1:6379 (db 15)."""

from __future__ import annotations

import os
import socket
import time
import uuid

import pytest
import redis

from tests.conftest import REDIS_URL, require_redis
from worker import locks
from worker.errors import LockLostError, LockUnavailableError, ReindexBusyError


@pytest.fixture
def client():
    require_redis()
    made = locks.connect(REDIS_URL)
    yield made
    made.close()


@pytest.fixture
def name(client):
    made = f"newsworker:lock:test:{uuid.uuid4().hex}"
    yield made
    client.delete(made)


def test_second_holder_is_refused_with_who_since_and_what_to_do(client, name):
    first = locks.StoreLock(client, name)
    first.acquire(task_id="task-1")
    try:
        with pytest.raises(ReindexBusyError) as refused:
            locks.StoreLock(client, name).acquire(task_id="task-2")
        message = str(refused.value)
        assert f"{socket.gethostname()} pid {os.getpid()}, task task-1, since " in message
        assert name in message and "expires by itself within" in message
        assert "task-2" not in message
    finally:
        first.release()
    assert client.get(name) is None


def test_released_when_the_block_fails(client, name):
    with pytest.raises(RuntimeError):
        with locks.held(client, name):
            assert client.get(name) is not None
            raise RuntimeError("reindex blew up")
    assert client.get(name) is None
    with locks.held(client, name):
        pass


def test_heartbeat_keeps_the_lock_past_its_ttl(client, name):
    with locks.held(client, name, ttl=1.0) as lock:
        time.sleep(2.5)
        lock.verify()
        assert client.pttl(name) > 0
        with pytest.raises(ReindexBusyError):
            locks.StoreLock(client, name).acquire()
    assert client.get(name) is None


def test_lock_of_a_dead_holder_expires_by_itself(client, name):
    # What a crashed process leaves: its token with the TTL running out, no heartbeat.
    client.set(name, locks.Holder(who="dead-host pid 1", nonce="x").model_dump_json(), px=800)
    with pytest.raises(ReindexBusyError, match="dead-host pid 1"):
        locks.StoreLock(client, name).acquire()
    time.sleep(1.0)
    with locks.held(client, name):
        pass


def test_verify_fails_once_the_lock_is_taken_over(client, name):
    with locks.held(client, name) as lock:
        client.set(name, b"someone else")
        with pytest.raises(LockLostError, match="stopped before swapping"):
            lock.verify()
    assert client.get(name) == b"someone else"  # release never deletes a lock it does not own


def test_foreign_token_is_described_not_crashed_on(client, name):
    client.set(name, b"not json", px=5000)
    assert "unknown holder" in str(locks.StoreLock(client, name).busy_error())


def test_unreachable_redis_refuses_instead_of_running_unlocked():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LockUnavailableError, match="never runs unlocked.*NEWSWORKER_REDIS_URL"):
        locks.connect(f"redis://:pw@127.0.0.1:{port}/15")


def test_lock_names_are_per_store_and_carry_no_credentials(env_settings, tmp_path):
    one = locks.reindex_lock_name(env_settings(sqlite_path=tmp_path / "a.db"))
    two = locks.reindex_lock_name(env_settings(sqlite_path=tmp_path / "b.db"))
    assert one != two and one.startswith("newsworker:lock:reindex:sqlite:")
    es = env_settings(store="elasticsearch", es={"url": "https://user:pw@es1:9200,https://es2:9200", "index_prefix": "nw"})
    assert locks.reindex_lock_name(es) == "newsworker:lock:reindex:elasticsearch:es1:9200,es2:9200/nw"


def test_lock_url_follows_a_redis_broker_unless_set(env_settings):
    assert env_settings().lock_url == "redis://127.0.0.1:6379/0"
    assert env_settings(broker_url="redis://broker:6379/1").lock_url == "redis://broker:6379/1"
    assert env_settings(broker_url="amqp://rabbit//").lock_url == "redis://127.0.0.1:6379/0"
    assert env_settings(broker_url="redis://broker:6379/1", redis_url="redis://locks:6379/2").lock_url == "redis://locks:6379/2"


def test_redis_client_errors_are_typed(client, name):
    lock = locks.StoreLock(redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5), name)
    with pytest.raises(LockUnavailableError):
        lock.acquire()
