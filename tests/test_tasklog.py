"""Structured task logs: the line's fields, the JSON formatter, secrets masked, and the lines
a task run in process and through the CLI actually writes."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery.exceptions import Retry

from tests.conftest import REDIS_URL, SEED, redis_available
from worker.logjson import JsonFormatter, ScrubbingFormatter, apply_format, scrub, secrets_of
from worker.tasklog import batch_size, counts_of, error_text, run_fields, summary


def _request(**extra):
    base = dict(id="t-1", parent_id=None, root_id="t-1", delivery_info={"routing_key": "nw", "redelivered": True},
                is_eager=False, hostname="w1@host", retries=2)
    return SimpleNamespace(**{**base, **extra})


def _batch(indexed=0, duplicates=0, failed=0) -> dict:
    return {"indexed": [{}] * indexed, "duplicates": [{}] * duplicates, "failed": [{}] * failed}


# -- the fields -------------------------------------------------------------------------------


def test_batch_size_is_the_first_argument_length_or_one_url():
    assert batch_size([["a", "b", "c"], {}]) == 3
    assert batch_size(["https://feed.example/rss"]) == 1
    assert batch_size([]) is None
    assert batch_size([False]) is None


def test_counts_of_batch_reports_poll_reports_and_reindex():
    assert counts_of(_batch(2, 1, 3)) == {"indexed": 2, "unchanged": 1, "failed": 3}
    polls = [{"feed_url": "a", "new_items": 4, "report": _batch(4, 0, 0)},
             {"feed_url": "b", "new_items": 1, "report": _batch(0, 0, 1)}]
    assert counts_of(polls) == {"indexed": 4, "unchanged": 0, "failed": 1, "new_items": 5}
    assert counts_of({"store": "sqlite", "read": 10, "articles": 9, "failed": [{}]}) == {"indexed": 9, "failed": 1}
    assert counts_of(["https://due.example/feed"]) == {}


def test_success_fields_carry_ids_queue_counts_and_duration():
    fields = run_fields("newsworker.ingest_paths", _request(), [["a", "b"]], _batch(1, 1, 0), "SUCCESS", 0.25)
    assert fields["task_id"] == "t-1" and fields["root_id"] == "t-1"
    assert (fields["queue"], fields["redelivered"], fields["worker"]) == ("nw", True, "w1@host")
    assert (fields["outcome"], fields["retries"], fields["batch_size"]) == ("success", 2, 2)
    assert (fields["indexed"], fields["unchanged"], fields["failed"], fields["duration_ms"]) == (1, 1, 0, 250.0)
    assert "error" not in fields
    text = summary(fields)
    assert text.startswith("task newsworker.ingest_paths[t-1] success (250.0 ms, queue nw, retries 2)")
    assert "batch 2, indexed 1, unchanged 1, failed 0" in text


def test_retry_and_failure_fields_carry_the_error():
    retry = Retry(exc=ConnectionError("store down"), when=8)
    fields = run_fields("newsworker.ingest_paths", _request(), [["a"]], retry, "RETRY", 0.01)
    assert (fields["outcome"], fields["error"], fields["retry_in_s"]) == ("retry", "ConnectionError: store down", 8)
    assert "indexed" not in fields
    assert summary(fields).endswith("ConnectionError: store down; again in 8 s")
    failed = run_fields("newsworker.poll_feeds", _request(), [None], TypeError("x" * 2000), "FAILURE", None)
    assert failed["outcome"] == "failure" and failed["duration_ms"] is None
    assert failed["error"].startswith("TypeError: xxx") and len(failed["error"]) == 500
    assert error_text(ValueError("bad")) == "ValueError: bad"


# -- the formatters ---------------------------------------------------------------------------


def _record(message: str, *args, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("newsworker.task", logging.WARNING, __file__, 1, message, args, exc_info)
    record.__dict__.update(extra)
    return record


def test_json_formatter_writes_one_object_per_line_with_the_extra_fields():
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        exc_info = sys.exc_info()
    line = JsonFormatter().format(_record("task %s done", "t-1", exc_info=exc_info, task_id="t-1", indexed=3,
                                          queue=None, payload={"ids": ["a", "b"]}))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "task t-1 done"
    assert (entry["level"], entry["logger"], entry["task_id"], entry["indexed"]) == ("WARNING", "newsworker.task", "t-1", 3)
    assert entry["queue"] is None and entry["payload"] == {"ids": ["a", "b"]}
    assert "RuntimeError: boom" in entry["exc"]
    assert entry["ts"].endswith("+00:00")


def test_secrets_and_url_passwords_never_reach_a_line(env_settings):
    settings = env_settings(es={"api_key": "S3cr3tApiKey=="}, kibana={"username": "k", "password": "kib-pass-42"})
    secrets = secrets_of(settings)
    assert set(secrets) == {"S3cr3tApiKey==", "kib-pass-42"}
    message = "cannot reach redis://:hunter2@redis:6379/0 nor https://elastic:pw0rd@es:9200 with key %s"
    record = _record(message, "S3cr3tApiKey==", error="auth kib-pass-42 refused", nested={"url": "amqp://u:guest@mq//"})
    for formatter in (JsonFormatter(secrets), ScrubbingFormatter(logging.Formatter("%(message)s %(error)s"), secrets)):
        line = formatter.format(record)
        for secret in ("hunter2", "pw0rd", "S3cr3tApiKey", "kib-pass-42", "guest"):
            assert secret not in line, (secret, line)
        assert "redis://:***@redis:6379/0" in line and "https://elastic:***@es:9200" in line
    assert scrub("see https://example.com/a:b@c and x@y.z", ()) == "see https://example.com/a:b@c and x@y.z"


def test_apply_format_swaps_formatters_once_and_back(env_settings):
    logger = logging.getLogger(f"newsworker.test.{uuid.uuid4().hex}")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("TEXT %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    apply_format(logger, "text", ["pw"])
    apply_format(logger, "text", ["pw"])
    logger.warning("token pw")
    assert stream.getvalue() == "TEXT token ***\n"
    apply_format(logger, "json", ["pw"])
    logger.warning("token pw")
    assert json.loads(stream.getvalue().splitlines()[-1])["message"] == "token ***"


# -- lines written by real task runs ----------------------------------------------------------


@pytest.fixture
def task_lines():
    """Captures what the newsworker.task logger writes, parsed from its JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("newsworker.task")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_eager_ingest_logs_one_line_per_run_with_its_counts(env_settings, nlp, task_lines, tmp_path):
    from worker.celery_app import create_app
    from worker.tasks import INGEST_PATHS

    app = create_app(env_settings(inbox_dirs=[SEED.parent, tmp_path]))
    task = app.tasks[INGEST_PATHS]
    first = task.apply(args=[[str(SEED), str(tmp_path / "missing.txt")], {}])
    second = task.apply(args=[[str(SEED)], {}])
    lines = [line for line in task_lines() if line["event"] == "task"]
    assert [line["task_id"] for line in lines] == [first.id, second.id]
    one, two = lines
    assert (one["task"], one["outcome"], one["eager"], one["queue"]) == ("newsworker.ingest_paths", "success", True, None)
    assert (one["batch_size"], one["indexed"], one["unchanged"], one["failed"]) == (2, 1, 0, 1)
    assert (two["batch_size"], two["indexed"], two["unchanged"], two["failed"]) == (1, 0, 1, 0)
    assert one["duration_ms"] > 0 and one["retries"] == 0


def test_eager_failure_and_retry_are_lines_too(env_settings, monkeypatch, task_lines):
    """A malformed message fails; an unreachable store is retried (each run one line)."""
    if not redis_available():
        pytest.skip(f"Redis does not answer at {REDIS_URL}: an unavailable store parks batches there")
    import redis

    from worker.celery_app import create_app
    from worker.tasks import INGEST_PATHS, POLL_FEEDS

    queue = f"newsworker-test-{uuid.uuid4().hex[:8]}"
    settings = env_settings(store="elasticsearch", es={"url": "http://127.0.0.1:9", "max_retries": 0},
                            task_max_retries=1, task_retry_backoff=0.05, redis_url=REDIS_URL, queue=queue)
    app = create_app(settings)
    try:
        failed = app.tasks[POLL_FEEDS].apply(args=[None])
        retried = app.tasks[INGEST_PATHS].apply(args=[[str(SEED)], {}])
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        client.delete(*(client.keys(f"*{queue}*") or ["-"]))
    lines = [line for line in task_lines() if line["event"] == "task"]
    failure = next(line for line in lines if line["task_id"] == failed.id)
    assert failure["outcome"] == "failure" and failure["error"].startswith("TypeError")
    runs = [line for line in lines if line["task_id"] == retried.id]
    assert runs[0]["outcome"] == "retry" and runs[0]["error"].startswith("TransientStoreError")
    assert runs[0]["retry_in_s"] > 0 and "127.0.0.1:9" in runs[0]["error"]
    assert [run["retries"] for run in runs] == list(range(len(runs))) and len(runs) == 2


def test_cli_writes_json_lines_when_log_format_is_json(tmp_path):
    exe = Path(sys.executable).with_name("newsworker")
    if not exe.exists():
        pytest.skip("newsworker console script not installed in this environment")
    env = {"PATH": str(exe.parent), "HOME": str(tmp_path), "NEWSWORKER_DATA_DIR": str(tmp_path / "var"), "NEWSWORKER_SETTLE_SECONDS": "0",
           "NEWSWORKER_LOG_FORMAT": "json", "NEWSWORKER_ES__API_KEY": "never-log-this-key"}
    if os.environ.get("NEWSWORKER_TEST_REDIS_URL"):
        env["NEWSWORKER_TEST_REDIS_URL"] = os.environ["NEWSWORKER_TEST_REDIS_URL"]
    done = subprocess.run([str(exe), "-v", "ingest", str(SEED)], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr
    objects = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    [line] = [o for o in objects if o.get("event") == "task"]
    assert (line["task"], line["outcome"], line["eager"], line["indexed"]) == ("newsworker.ingest_paths", "success", True, 1)
    assert all(o["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") for o in objects)
    assert "never-log-this-key" not in done.stderr
