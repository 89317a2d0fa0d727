"""Dead letters in the real Redis (db 15), and the `dead-letters` commands run in process.

The worker-side path (a real Celery worker parking a batch) is in test_delivery.py.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import timedelta

import pytest
import redis
from click.testing import CliRunner

from tests.celeryproc import free_port
from tests.conftest import REDIS_URL, require_redis
from tests.esproxy import EsProxy
from tests.esserver import TEST_API_KEY

TASK = "newsworker.ingest_paths"


def write_articles(folder, count: int, tag: str) -> list:
    """``count`` distinct plain-text articles laid out like seeds/ (title, standfirst, body)."""
    places = ["Basra", "Mosul", "Kirkuk", "Erbil", "Najaf", "Tikrit", "Ramadi", "Falluja", "Samarra", "Karbala",
              "Hilla", "Kut", "Amara", "Nasiriya", "Diwaniya", "Dohuk"]
    trades = ["bakers", "teachers", "nurses", "farmers", "engineers", "drivers", "fishermen", "tailors"]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        place, trade = places[i % len(places)], trades[(i * 3) % len(trades)]
        number = 1000 + 137 * i
        text = (
            f"{tag} {i}: {trade} of {place} open a new market\n"
            f"About {number} {trade} gathered in {place} on Tuesday, organisers said.\n\n"
            f"The market in {place} will host {number} stalls run by {trade} from {i + 3} nearby villages. "
            f"Officials in {place} said the {tag.lower()} scheme number {i} cost {number * 7} dinars and "
            f"would open every {['Monday', 'Wednesday', 'Friday', 'Sunday'][i % 4]} until the end of the year.\n"
        )
        path = folder / f"{tag.lower()}-{i:03d}.txt"
        path.write_text(text)
        paths.append(path)
    return paths


@pytest.fixture
def redis_env(tmp_path, monkeypatch):
    """NEWSWORKER_* with no broker, dead letters in the test Redis under a queue of this test's own."""
    require_redis()
    for name in list(os.environ):
        if name.startswith("NEWSWORKER_") and not name.startswith("NEWSWORKER_TEST_"):
            monkeypatch.delenv(name)
    queue = f"newsworker-test-{uuid.uuid4().hex[:8]}"
    env = {"NEWSWORKER_REDIS_URL": REDIS_URL, "NEWSWORKER_QUEUE": queue, "NEWSWORKER_DATA_DIR": str(tmp_path / "var"),
           "NEWSWORKER_SETTLE_SECONDS": "0"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    yield env
    with redis.Redis.from_url(REDIS_URL) as client:
        client.delete(f"newsworker:deadletters:{queue}")


@pytest.fixture
def box(redis_env):
    from worker.deadletters import DeadLetterBox
    from worker.settings import Settings

    with DeadLetterBox.open(Settings()) as opened:
        yield opened


def _letter(reason: str = "TransientStoreError: down", args: list | None = None):
    from worker.deadletters import new_letter

    return new_letter(TASK, args or [["/data/a.txt", "/data/b.txt"], {}], {}, reason=reason, attempts=6, documents=2)


def test_parking_the_same_batch_again_keeps_one_letter_with_the_latest_failure(box):
    first = _letter("TransientStoreError: first")
    other = _letter(args=[["/data/c.txt"], {}])
    again = _letter("TransientStoreError: second")
    assert first.id == again.id != other.id
    box.park(first)
    box.park(other)
    box.park(again)
    assert [(letter.id, letter.reason) for letter in box.all()] == [
        (other.id, other.reason), (again.id, "TransientStoreError: second")]
    assert box.get(first.id) == again


def test_a_replay_removes_only_the_letter_it_read(box):
    read = _letter("TransientStoreError: first")
    box.park(read)
    reparked = read.model_copy(update={"failed_at": read.failed_at + timedelta(microseconds=1)})
    box.park(reparked)
    assert box.remove_if_unchanged(read) is False and box.get(read.id) == reparked
    assert box.remove_if_unchanged(reparked) is True and box.all() == []
    assert box.remove_if_unchanged(reparked) is False


def test_an_unreadable_entry_is_reported_each_time_and_can_be_dropped(box, caplog):
    from worker.cli.main import cli

    box.park(_letter())
    box.client.hset(box.key, "garbage", b"{not json")
    with caplog.at_level(logging.WARNING, logger="worker.deadletters"):
        assert len(box.all()) == 1
    assert "dead letter garbage" in caplog.text and "dead-letters drop" in caplog.text
    result = CliRunner().invoke(cli, ["dead-letters", "drop", "garbage"])
    assert result.exit_code == 1 and "no dead letter garbage" in result.output  # unreadable: not a letter
    box.drop("garbage")
    assert box.client.hkeys(box.key) == [_letter().id.encode()]


def test_unknown_ids_refuse_the_whole_command(box):
    from worker.cli.main import cli

    letter = _letter()
    box.park(letter)
    runner = CliRunner()
    for args in (["retry", letter.id, "nope"], ["drop", "nope", letter.id]):
        result = runner.invoke(cli, ["dead-letters", *args])
        assert result.exit_code == 1 and "no dead letter nope" in result.output, result.output
    assert box.get(letter.id) == letter
    assert "give the ids" in runner.invoke(cli, ["dead-letters", "retry"]).output
    assert "give the ids" in runner.invoke(cli, ["dead-letters", "retry", letter.id, "--all"]).output
    dropped = runner.invoke(cli, ["dead-letters", "drop", letter.id])
    assert dropped.exit_code == 0 and f"dropped {letter.id}" in dropped.output
    assert "No dead letters" in runner.invoke(cli, ["dead-letters", "list"]).output


def test_redis_down_is_one_clear_line(redis_env, monkeypatch):
    from worker.cli.main import cli

    monkeypatch.setenv("NEWSWORKER_REDIS_URL", f"redis://:s3cret@127.0.0.1:{free_port()}/0")
    result = CliRunner().invoke(cli, ["dead-letters", "list"])
    assert result.exit_code == 1
    assert "Error: Redis at redis://:***@127.0.0.1" in result.output and "NEWSWORKER_REDIS_URL" in result.output
    assert "s3cret" not in result.output


def test_in_process_ingest_with_the_store_down_parks_then_replays_once_it_is_back(
        redis_env, es_cluster, es_prefix, tmp_path, monkeypatch):
    from worker.cli.main import cli

    port = free_port()  # nothing listens there until the proxy below: the cluster is down
    for key, value in {"NEWSWORKER_STORE": "elasticsearch", "NEWSWORKER_ES__URL": f"http://127.0.0.1:{port}",
                       "NEWSWORKER_ES__INDEX_PREFIX": es_prefix, "NEWSWORKER_ES__API_KEY": TEST_API_KEY,
                       "NEWSWORKER_ES__MAX_RETRIES": "0", "NEWSWORKER_TASK_MAX_RETRIES": "1",
                       "NEWSWORKER_TASK_RETRY_BACKOFF": "0.01"}.items():
        monkeypatch.setenv(key, value)
    files = write_articles(tmp_path / "inbox", 3, "Market")
    runner = CliRunner()

    ingest = runner.invoke(cli, ["ingest", str(tmp_path / "inbox"), "--json"])
    assert ingest.exit_code == 1, ingest.output
    failed = json.loads(ingest.stdout)["failed"]
    assert sorted(f["origin"] for f in failed) == sorted(str(f.resolve()) for f in files)
    assert all("store unavailable after 2 attempts" in f["reason"] and "unreachable" in f["reason"] for f in failed)

    [letter] = json.loads(runner.invoke(cli, ["dead-letters", "list", "--json"]).stdout)
    assert (letter["task"], letter["documents"], letter["attempts"]) == (TASK, 3, 2)
    assert f"parked as dead letter {letter['id']}" in failed[0]["reason"]
    status = runner.invoke(cli, ["status", "--json"])
    assert json.loads(status.stdout)["dead_letters"] == 1, status.output
    assert "dead letters: 1 batch parked" in runner.invoke(cli, ["status"]).stdout
    assert letter["args"][0] == sorted(str(f.resolve()) for f in files)

    still_down = runner.invoke(cli, ["dead-letters", "retry", "--all"])
    assert still_down.exit_code == 1 and f"{letter['id']}: parked again" in still_down.stdout, still_down.output
    [kept] = json.loads(runner.invoke(cli, ["dead-letters", "list", "--json"]).stdout)
    assert kept["id"] == letter["id"] and kept["failed_at"] > letter["failed_at"]

    with EsProxy(es_cluster.url, port=port):
        replayed = runner.invoke(cli, ["dead-letters", "retry", letter["id"]])
        assert replayed.exit_code == 0, replayed.output
        assert f"{letter['id']}: indexed (3 indexed, 0 duplicates, 0 failed)" in replayed.stdout
        assert "Running in process" in replayed.stderr
        assert json.loads(runner.invoke(cli, ["dead-letters", "list", "--json"]).stdout) == []
        with es_cluster.store(es_prefix) as store:
            assert store.stats().articles == 3


def test_in_process_with_the_store_and_redis_both_down_the_error_is_shown(redis_env, tmp_path, monkeypatch):
    from worker.cli.main import cli

    for key, value in {"NEWSWORKER_STORE": "elasticsearch", "NEWSWORKER_ES__URL": f"http://127.0.0.1:{free_port()}",
                       "NEWSWORKER_ES__MAX_RETRIES": "0", "NEWSWORKER_TASK_MAX_RETRIES": "0",
                       "NEWSWORKER_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}.items():
        monkeypatch.setenv(key, value)
    write_articles(tmp_path / "inbox", 2, "Stuck")
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "inbox")])
    assert result.exit_code == 1
    assert "Error: Elasticsearch at http://127.0.0.1" in result.output and "unreachable" in result.output
