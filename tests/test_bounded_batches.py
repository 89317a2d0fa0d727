"""Long files and big polls are indexed in bounded batches (NEWSWORKER_DOCUMENTS_PER_TASK):
in process one batch after another, with a broker as several tasks; no task grows with its file."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from tests.celeryproc import WorkerProcess
from tests.httpserver import Reply
from tests.test_feed_poll import rss, story
from worker.feeds.registry import FeedConfig
from worker.sources.files import read_file
from worker.sources.metadata import Overrides

BODY = "Officials said on {day} that {n:,} soldiers would stay in the region of {place} while the talks continue."
PLACES = ("Mosul", "Basra", "Kirkuk", "Erbil", "Najaf", "Karbala", "Tikrit", "Ramadi", "Falluja", "Samarra")


def ndjson(path, count: int, broken: tuple[int, ...] = ()) -> list[str]:
    """``count`` records, those at ``broken`` positions malformed, blank lines between; their titles."""
    lines, titles = [], []
    for i in range(count):
        title = f"Record {i} from {PLACES[i % len(PLACES)]}"
        titles.append(title)
        record = {"title": title, "body": BODY.format(day=f"day {i}", n=1000 + 37 * i, place=PLACES[i % len(PLACES)]),
                  "published": "2021-01-15"}
        lines += ["{not json" if i in broken else json.dumps(record), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return titles


def test_a_record_range_reads_only_those_records_and_parses_no_other(tmp_path):
    path = tmp_path / "export.ndjson"
    titles = ndjson(path, 6, broken=(4,))
    read = lambda records: list(read_file(path, Overrides(), 1 << 20, roots=[tmp_path], records=records))  # noqa: E731
    assert [d.title for d in read(range(1, 3))] == titles[1:3]
    tail = read(range(3, 6))
    assert [getattr(d, "title", None) for d in tail] == [titles[3], None, titles[5]]
    assert tail[1].origin == f"{path}:9" and "malformed JSON" in tail[1].reason  # the broken one, by its line
    assert read(range(6, 9)) == []
    listed = tmp_path / "export.json"
    listed.write_text(json.dumps([{"title": t, "body": "Some text about it."} for t in titles]), encoding="utf-8")
    assert [d.origin for d in read_file(listed, Overrides(), 1 << 20, roots=[tmp_path], records=range(2, 4))] == [
        f"{listed}#3", f"{listed}#4"]


def test_in_process_a_long_file_is_indexed_in_batches_of_the_setting(env_settings, extractor, tmp_path, monkeypatch):
    import worker.ingest as ingest
    from worker.store import SqliteStore

    sizes: list[int] = []
    real = ingest._ingest_batch
    monkeypatch.setattr(ingest, "_ingest_batch", lambda items, *a: sizes.append(len(items)) or real(items, *a))
    path = tmp_path / "export.ndjson"
    ndjson(path, 10, broken=(7,))
    store = SqliteStore(tmp_path / "var" / "newsworker.db")
    store.setup()
    report = ingest.ingest_files([path], store, extractor, Overrides(), 1 << 20, roots=[tmp_path], batch_size=4)
    assert sizes == [4, 4, 2]
    assert (len(report.indexed), [f.origin for f in report.failed]) == (9, [f"{path}:15"])
    assert store.stats().articles == 9
    store.close()


def test_a_big_poll_goes_to_the_sink_in_bounded_batches_each_marked_done(env_settings, tmp_path, server, extractor):
    from worker.feeds.poll import IndexHere
    from worker.runtime import Runtime

    settings = env_settings(fetch={"allow_private": ["127.0.0.1/32"]}, feeds={"registry": tmp_path / "feeds.toml"},
                            documents_per_task=3)
    runtime = Runtime(settings)
    runtime.__dict__["extractor"] = extractor
    here = IndexHere(runtime.feed_states, runtime.store, runtime.extractor)
    calls: list[int] = []
    runtime.poller.sink = lambda documents, claimed: calls.append(len(documents)) or here(documents, claimed)
    url = server.serve("/feed.xml", Reply(body=rss([story(n) for n in range(8)]), headers={"Content-Type": "application/rss+xml"}))
    runtime.registry.add(FeedConfig(url=url))
    report = runtime.poller.poll(runtime.registry.get(url))
    assert calls == [3, 3, 2]
    assert (report.new_items, len(report.report.indexed)) == (8, 8)
    assert runtime.store.stats().articles == 8
    runtime.close()


@pytest.mark.integration
def test_with_a_broker_a_long_file_is_split_into_tasks_and_wait_collects_them_all(broker_env, tmp_path, monkeypatch):
    from worker.cli.main import cli

    monkeypatch.setenv("NEWSWORKER_DOCUMENTS_PER_TASK", "3")
    env = {**broker_env, "NEWSWORKER_DOCUMENTS_PER_TASK": "3"}
    path = tmp_path / "export.ndjson"
    titles = ndjson(path, 8)
    worker = WorkerProcess(env, tmp_path, tmp_path / "worker.log").start()
    try:
        result = CliRunner().invoke(cli, ["ingest", str(path), "--wait", "--timeout", "180", "--json"], catch_exceptions=False)
        log = worker.tail(50000)
    finally:
        worker.stop()
    assert result.exit_code == 0, result.output + log
    report = json.loads(result.stdout)
    assert len(report["indexed"]) == 8 and not report["failed"]
    assert sorted(o["origin"] for o in report["indexed"]) == sorted(f"{path}:{2 * i + 1}" for i in range(len(titles)))
    # One task read the file and indexed 3; two more (3 and 2) got the rest by record range.
    done = sorted(int(n) for n in re.findall(r"ingest_paths task=\S+ files=1 indexed=(\d+)", log))
    assert done == [2, 3, 3], log
