"""Nothing outside the inbox is read: symlinks leaving a folder, forged task messages,
file: URLs learned from the network, FIFOs and devices (issue 18, items 1-3).

Real processes where the finding needs them: a Celery worker on the real Redis for the
forged message, a real HTTP server on 127.0.0.1 for autodiscovery.
"""

from __future__ import annotations

import json
import os
import shutil
import threading

import pytest
from click.testing import CliRunner

from tests.celeryproc import WorkerProcess
from tests.conftest import SEED, SEEDS
from tests.httpserver import Reply
from worker.cli.main import cli
from worker.feeds.errors import FetchError
from worker.feeds.http import Fetcher
from worker.models import SearchQuery
from worker.settings import FetchSettings
from worker.sources.files import expand_paths
from worker.store import SqliteStore

SECRET = "NEWSWORKER_ES__API_KEY=c2VjcmV0LWtleS0xMjM0NQ"


def secret_file(folder):
    """A file outside every inbox holding what must never be indexed (think /etc/shadow, .env)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret.txt"
    path.write_text(f"Leaked credentials\n\nThe worker environment holds {SECRET} for the cluster.\n" * 3)
    return path


def article(path, title="Troops leave the base"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\n\nA standfirst line.\n\nThe last 300 troops left the base on Friday, officials said.\n")
    return path


def stored_texts(db) -> str:
    store = SqliteStore(db)
    try:
        hits = store.search(SearchQuery(size=100)).hits
        return " ".join((store.get(h.id).body or "") for h in hits)
    finally:
        store.close()


# -- 1. symbolic links inside an ingested folder ---------------------------------------------


def test_a_link_leaving_the_folder_is_refused_by_name(tmp_path):
    inbox = tmp_path / "inbox"
    article(inbox / "good.txt")
    secret = secret_file(tmp_path / "outside")
    (inbox / "shadow.txt").symlink_to(secret)
    (inbox / "env.txt").symlink_to(tmp_path / "outside")  # a link to a folder is not walked
    (inbox / "sub").mkdir()
    (inbox / "sub" / "again.txt").symlink_to(inbox / "good.txt")  # stays inside: fine

    files, failures = expand_paths([inbox])

    assert sorted(f.name for f in files) == ["again.txt", "good.txt"]
    [refused] = failures
    assert refused.origin == str(inbox / "shadow.txt")
    assert f"symbolic link to {secret}" in refused.reason and f"leaves the folder {inbox}" in refused.reason


def test_ingest_of_a_folder_with_a_link_to_a_secret_indexes_the_rest_and_never_the_secret(env_settings, tmp_path):
    settings = env_settings()
    inbox = tmp_path / "drop"
    article(inbox / "good.txt")
    (inbox / "creds.txt").symlink_to(secret_file(tmp_path / "outside"))

    result = CliRunner().invoke(cli, ["ingest", str(inbox), "--json"], catch_exceptions=False)

    report = json.loads(result.stdout)
    assert len(report["indexed"]) == 1
    assert [f["origin"] for f in report["failed"]] == [str(inbox / "creds.txt")]
    assert "leaves the folder" in report["failed"][0]["reason"]
    assert SECRET not in stored_texts(settings.database_path)


def test_a_sidecar_linking_outside_is_not_read(env_settings, tmp_path):
    env_settings()
    inbox = tmp_path / "drop"
    good = article(inbox / "good.txt")
    outside = tmp_path / "outside" / "meta.json"
    outside.parent.mkdir()
    outside.write_text(json.dumps({"source": "Stolen Source Name"}))
    (inbox / "good.txt.meta.json").symlink_to(outside)

    result = CliRunner().invoke(cli, ["ingest", str(inbox), "--json"], catch_exceptions=False)

    [failed] = json.loads(result.stdout)["failed"]
    assert failed["origin"] == str(good) + ".meta.json" and "outside the folders" in failed["reason"]


# -- 2. workers read only under their inbox folders -------------------------------------------


@pytest.fixture
def inbox_worker(broker_env, tmp_path, monkeypatch):
    """A real worker whose only inbox is tmp_path/inbox (not the test folder, not the seeds)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    env = {**broker_env, "NEWSWORKER_INBOX_DIRS": json.dumps([str(inbox)])}
    monkeypatch.setenv("NEWSWORKER_INBOX_DIRS", env["NEWSWORKER_INBOX_DIRS"])
    worker = WorkerProcess(env, tmp_path, tmp_path / "worker.log").start()
    yield inbox
    worker.stop()


@pytest.mark.integration
def test_a_forged_task_naming_a_path_outside_the_inbox_reads_nothing(inbox_worker, tmp_path):
    from worker.celery_app import create_app
    from worker.models import BatchReport
    from worker.settings import Settings
    from worker.tasks import INGEST_PATHS

    secret = secret_file(tmp_path / "etc")
    good = article(inbox_worker / "good.txt")
    linked = inbox_worker / "innocent.txt"
    linked.symlink_to(secret)
    app = create_app(Settings())

    # What an attacker with access to the queue sends: no CLI, no checks before the worker.
    result = app.tasks[INGEST_PATHS].apply_async(args=[[str(secret), str(linked), str(good)], {}])
    report = BatchReport.model_validate(result.get(timeout=180))

    assert len(report.indexed) == 1
    assert {f.origin: f.reason for f in report.failed}.keys() == {str(secret), str(linked)}
    assert all("outside the folders newsworker may read" in f.reason for f in report.failed)
    assert f"a link to {secret}" in next(f.reason for f in report.failed if f.origin == str(linked))
    assert SECRET not in stored_texts(tmp_path / "var" / "newsworker.db")


@pytest.mark.integration
def test_with_a_broker_the_cli_refuses_paths_outside_the_inbox_before_sending(broker_env, tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("NEWSWORKER_INBOX_DIRS", json.dumps([str(inbox)]))
    outside = article(tmp_path / "elsewhere" / "story.txt")
    inside = article(inbox / "story.txt")

    refused = CliRunner().invoke(cli, ["ingest", str(outside), str(inside)])

    assert refused.exit_code == 2
    assert f"{outside}: outside the inbox folders workers read from ({inbox})" in refused.output
    assert "NEWSWORKER_INBOX_DIRS" in refused.output


def test_in_process_the_cli_reads_what_the_operator_names(env_settings, tmp_path):
    env_settings()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(SEED, elsewhere / SEED.name)

    result = CliRunner().invoke(cli, ["ingest", str(elsewhere), "--json"], catch_exceptions=False)

    assert len(json.loads(result.stdout)["indexed"]) == 1


# -- 3. file: URLs: only typed by the operator, only regular files, only under the roots -------


def test_autodiscovery_never_follows_a_file_link_from_a_page(env_settings, server, monkeypatch):
    monkeypatch.setenv("NEWSWORKER_FETCH__ALLOW_PRIVATE", '["127.0.0.1/32"]')
    settings = env_settings()
    feed = (SEEDS / "feed.xml").read_bytes()
    server.serve("/feed.xml", Reply(200, feed, {"Content-Type": "application/rss+xml"}))
    page = ('<html><head><link rel="alternate" type="application/rss+xml" href="file:///etc/passwd">'
            '<link rel="alternate" type="application/rss+xml" href="file:/dev/zero">'
            f'<link rel="alternate" type="application/atom+xml" href="{server.url("/feed.xml")}"></head></html>')
    server.serve("/", Reply(200, page.encode(), {"Content-Type": "text/html"}))

    result = CliRunner().invoke(cli, ["feeds", "add", server.url("/")], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert f"Added {server.url('/feed.xml')}" in result.output
    assert "file:" not in settings.feeds.registry.read_text()


def test_a_page_declaring_only_file_feeds_declares_none(env_settings, server, monkeypatch):
    monkeypatch.setenv("NEWSWORKER_FETCH__ALLOW_PRIVATE", '["127.0.0.1/32"]')
    settings = env_settings()
    server.serve("/", Reply(200, b'<html><head><link rel="alternate" type="application/rss+xml" '
                               b'href="file:///etc/passwd"></head></html>', {"Content-Type": "text/html"}))

    result = CliRunner().invoke(cli, ["feeds", "add", server.url("/")])

    assert result.exit_code == 1 and "declares no feed" in result.output
    assert not settings.feeds.registry.exists()


def test_a_file_url_is_read_only_when_the_caller_says_it_was_typed(tmp_path):
    feed = tmp_path / "feed.xml"
    shutil.copy(SEEDS / "feed.xml", feed)
    fetcher = Fetcher(FetchSettings(), [tmp_path])
    with pytest.raises(FetchError, match="file: URL found on the network is never read"):
        fetcher.get(f"file://{feed}")
    assert fetcher.get(f"file://{feed}", allow_file=True).status == 200


@pytest.mark.parametrize("make, reason", [
    (lambda d: "/dev/zero", "outside the folders"),
    (lambda d: (os.mkfifo(d / "pipe.xml"), d / "pipe.xml")[1], "not a regular file (a FIFO)"),
    (lambda d: (os.symlink("/dev/zero", d / "zero.xml"), d / "zero.xml")[1], "outside the folders"),
    (lambda d: (os.symlink(d.parent / "secret.txt", d / "s.xml"), d / "s.xml")[1], "a link to"),
])
def test_file_feeds_are_regular_files_under_the_roots_and_never_hang(tmp_path, make, reason):
    roots = tmp_path / "feeds"
    roots.mkdir()
    secret_file(tmp_path)
    path = make(roots)
    fetcher = Fetcher(FetchSettings(), [roots])
    outcome: list = []
    reader = threading.Thread(target=lambda: outcome.append(_fetch_error(fetcher, f"file://{path}")), daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "reading a file: feed hung"
    assert reason in outcome[0]


def _fetch_error(fetcher: Fetcher, url: str) -> str:
    try:
        fetcher.get(url, allow_file=True)
    except FetchError as exc:
        return str(exc)
    return "read without error"


def test_a_typed_file_feed_outside_the_roots_is_refused_with_a_broker(broker_env, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSWORKER_INBOX_DIRS", json.dumps([str(tmp_path / "inbox")]))
    feed = tmp_path / "feed.xml"
    shutil.copy(SEEDS / "feed.xml", feed)

    result = CliRunner().invoke(cli, ["feeds", "add", f"file://{feed}"])

    assert result.exit_code == 1
    assert "outside the folders newsworker may read" in result.output and "NEWSWORKER_INBOX_DIRS" in result.output
