"""Credentials never reach logs, `status` or error messages.

Configured secrets: the Elasticsearch API key (and password, in another run), the Redis
password (in the broker and lock URLs; a private redis-server that requires it), the Kibana
password. Everything a user or a log collector sees is searched for them: CLI output,
`status` and `status --json`, -vv logs, the worker's log, with successes and failures
(a hostile file, then an unreachable store).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from tests.celeryproc import WorkerProcess, free_port
from tests.conftest import SEED
from tests.esproxy import EsProxy
from tests.esserver import TEST_API_KEY
from worker.cli.main import cli

ES_SECRET = TEST_API_KEY or "es-api-key-SECRET-0451"
ES_PASSWORD = "es-password-SECRET-2113"
REDIS_SECRET = "redis-password-SECRET-7781"
KIBANA_SECRET = "kibana-password-SECRET-5533"
SECRETS = (ES_SECRET, ES_PASSWORD, REDIS_SECRET, KIBANA_SECRET)


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a configured secret appears in {where}:\n{text[-3000:]}"


# -- invalid settings: pydantic quotes every value it refuses -------------------------------


@pytest.mark.parametrize(("env", "names"), [
    ({"NEWSWORKER_ES__API_KEY": ES_SECRET, "NEWSWORKER_ES__USERNAME": "elastic", "NEWSWORKER_ES__PASSWORD": ES_PASSWORD},
     ["NEWSWORKER_ES: set NEWSWORKER_ES__API_KEY or NEWSWORKER_ES__USERNAME/__PASSWORD, not both"]),
    ({"NEWSWORKER_ES__PASSWORD": ES_PASSWORD}, ["NEWSWORKER_ES: NEWSWORKER_ES__PASSWORD is set without"]),
    ({"NEWSWORKER_BROKER_URL": f"ftp://:{REDIS_SECRET}@broker/", "NEWSWORKER_REDIS_URL": f"http://:{REDIS_SECRET}@r/0",
      "NEWSWORKER_KIBANA__PASSWORD": KIBANA_SECRET, "NEWSWORKER_KIBANA__TIMEOUT": "-1"},
     ["NEWSWORKER_BROKER_URL: unsupported URL scheme ftp://", "NEWSWORKER_REDIS_URL: NEWSWORKER_REDIS_URL must be a Redis URL",
      "NEWSWORKER_KIBANA__TIMEOUT: Input should be greater than 0"]),
])
def test_invalid_settings_name_the_setting_never_the_value(env, names, env_settings, monkeypatch):
    env_settings()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli, ["status"])
    assert result.exit_code == 1
    for name in names:
        assert name in result.output
    assert_no_secret(result.output, "the invalid-settings message")


def test_a_worker_with_invalid_settings_fails_without_quoting_them(env_settings, monkeypatch):
    from worker.celery_app import create_app
    from worker.errors import ConfigError

    env_settings()
    monkeypatch.setenv("NEWSWORKER_ES__PASSWORD", ES_PASSWORD)
    with pytest.raises(ConfigError) as refused:
        create_app()
    assert "NEWSWORKER_ES__PASSWORD is set without" in str(refused.value)
    assert_no_secret(str(refused.value), "the worker's settings error")


# -- a running system with every secret configured ------------------------------------------


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own that refuses clients without the password."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--requirepass", REDIS_SECRET, "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://:{REDIS_SECRET}@127.0.0.1:{port}/0"
    import redis

    deadline = time.monotonic() + 20
    while True:
        try:
            if redis.Redis.from_url(url, socket_connect_timeout=1).ping():
                break
        except redis.RedisError:
            assert process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.integration
def test_secrets_stay_out_of_logs_and_status(private_redis, es_cluster, es_prefix, tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SEED, inbox / "good.txt")
    (inbox / "broken.json").write_text('{"title": "x", "body": ')
    port = free_port()
    env = {
        "NEWSWORKER_BROKER_URL": private_redis,
        "NEWSWORKER_REDIS_URL": private_redis,
        "NEWSWORKER_QUEUE": "secrets-test",
        "NEWSWORKER_DATA_DIR": str(tmp_path / "var"),
        "NEWSWORKER_SETTLE_SECONDS": "0",
        "NEWSWORKER_INBOX_DIRS": json.dumps([str(inbox)]),
        "NEWSWORKER_STORE": "elasticsearch",
        "NEWSWORKER_ES__URL": f"http://127.0.0.1:{port}",
        "NEWSWORKER_ES__API_KEY": ES_SECRET,
        "NEWSWORKER_ES__INDEX_PREFIX": es_prefix,
        "NEWSWORKER_ES__MAX_RETRIES": "0",
        "NEWSWORKER_TASK_MAX_RETRIES": "0",
        "NEWSWORKER_KIBANA__USERNAME": "kibana",
        "NEWSWORKER_KIBANA__PASSWORD": KIBANA_SECRET,
    }
    for name in list(os.environ):
        if name.startswith("NEWSWORKER_") and not name.startswith("NEWSWORKER_TEST_"):
            monkeypatch.delenv(name)

    def newsworker(*args: str) -> str:
        """The command's stdout; stdout and stderr (its logs) both searched for the secrets."""
        done = subprocess.run([sys.executable, "-m", "worker.cli.main", *args], env={**os.environ, **env}, cwd=tmp_path,
                              capture_output=True, text=True, timeout=180)
        assert_no_secret(done.stdout + done.stderr, f"`newsworker {' '.join(args)}`")
        return done.stdout

    seen = []
    with EsProxy(es_cluster.url, port=port) as proxy:
        proxy_forward = proxy._forward

        def recording(method, path, headers, body):
            seen.append(headers.get("Authorization") or headers.get("authorization") or "")
            return proxy_forward(method, path, headers, body)

        proxy._forward = recording
        newsworker("es", "setup")
        worker = WorkerProcess(env, tmp_path, tmp_path / "worker.log").start()
        try:
            report = json.loads(newsworker("-vv", "ingest", str(inbox), "--wait", "--timeout", "120", "--json"))
            assert len(report["indexed"]) == 1 and "malformed JSON" in report["failed"][0]["reason"]
            status = json.loads(newsworker("status", "--json"))
            assert status["store"]["articles"] == 1
        finally:
            proxy._forward = proxy_forward
    # The cluster is gone now: the worker's store error (the batch parked) is logged too,
    # and status reports the store unreachable.
    (inbox / "second.txt").write_text((inbox / "good.txt").read_text().replace("troops", "soldiers", 1))
    try:
        newsworker("-vv", "ingest", str(inbox / "second.txt"), "--wait", "--timeout", "120")
        status = newsworker("-vv", "status")
    finally:
        worker.stop()
    assert f"redis://:***@127.0.0.1:{private_redis.rsplit(':', 1)[1]}" in status
    log = worker.tail(200_000)
    assert "ingest_paths" in log or "newsworker.ingest_paths" in log, log[-2000:]
    assert_no_secret(log, "the worker's log")
    assert f"ApiKey {ES_SECRET}" in seen, "the API key was not in use, so its absence proves nothing"
