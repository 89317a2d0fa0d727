"""WARC files (CC-NEWS) as a file source: pages become articles, every other record is counted
by reason, a corrupt record is a named failure and the rest of the file is still read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.celeryproc import WorkerProcess
from tests.warcfiles import page, record_bytes, request, response, write_warc, writer
from worker.cli.main import cli
from worker.models import Failure
from worker.settings import WarcSettings
from worker.sources.warc import WarcFilter, plan_chunks, read_warc

STORY = ("Officials in {place} said on Tuesday that {n:,} soldiers would remain in the region while talks with "
         "the government continue, according to a statement released by the ministry.\n\n"
         "The decision follows weeks of negotiations between the two sides over the future of the mission, "
         "which began in 2014 and has cost more than {m:,} lives according to local monitors.\n\n"
         "A spokesman for the coalition declined to comment on the numbers but said the partners remained "
         "committed to the security of {place} and its people.")
PLACES = ("Mosul", "Basra", "Kirkuk", "Erbil", "Najaf", "Tikrit")


def story_page(i: int, published: str = "2024-05-02") -> bytes:
    return page(f"Troops stay in {PLACES[i % len(PLACES)]} ({i})", STORY.format(place=PLACES[i % len(PLACES)], n=1000 + i,
                                                                                m=200 + i), published)


def mixed_warc(path: Path) -> dict[str, int]:
    """Two pages, a request, a PDF, a 404, a corrupt record, a third page, a truncated member.
    Returns the offsets of the corrupt record, the page after it and the truncated one."""
    w = writer()
    good = [record_bytes(response(w, f"https://www.outlet{i}.example/news/{i}", story_page(i))) for i in range(3)]
    corrupt = bytearray(good[0])
    corrupt[30:70] = b"\0" * 40
    pieces = [
        good[0],
        record_bytes(request(w, "https://www.outlet1.example/news/1")),
        good[1],
        record_bytes(response(w, "https://www.outlet1.example/report.pdf", b"%PDF-1.4 ...", content_type="application/pdf")),
        record_bytes(response(w, "https://www.outlet1.example/gone", b"<html>Not found</html>", status="404 Not Found")),
        bytes(corrupt),
        good[2],
        good[0][: len(good[0]) // 2],
    ]
    write_warc(path, pieces)
    offsets = [sum(len(p) for p in pieces[:i]) for i in range(len(pieces))]
    return {"corrupt": offsets[5], "after": offsets[6], "truncated": offsets[7]}


def ingest(*args: str):
    result = CliRunner().invoke(cli, ["ingest", *args, "--json"], catch_exceptions=False)
    return result, (json.loads(result.stdout) if result.stdout.strip().startswith("{") else None)


def test_pages_become_articles_other_records_are_counted_and_bad_ones_named(env_settings, tmp_path):
    path = tmp_path / "CC-NEWS-20240503.warc.gz"
    at = mixed_warc(path)
    result, report = ingest(str(path))
    assert result.exit_code == 0, result.output
    assert len(report["indexed"]) == 3
    assert report["skipped"] == {"request record": 1, "not HTML": 1, "HTTP status 404": 1}
    failed = {f["origin"].split(" <")[0]: f["reason"] for f in report["failed"]}
    assert set(failed) == {f"{path}@{at['corrupt']}", f"{path}@{at['truncated']}"}, failed
    assert "reading goes on" in failed[f"{path}@{at['corrupt']}"]
    assert failed[f"{path}@{at['truncated']}"].startswith("truncated: ")
    # The page after the corrupt record was read: the file went on.
    shown = json.loads(CliRunner().invoke(cli, ["search", "Kirkuk", "--json"]).stdout)
    assert [h["url"] for h in shown["hits"]] == ["https://www.outlet2.example/news/2"]
    article = json.loads(CliRunner().invoke(cli, ["show", shown["hits"][0]["id"], "--json"]).stdout)
    assert article["fetched_at"].startswith("2024-05-03T10:00:00")
    assert article["published_at"].startswith("2024-05-02")
    assert article["origin"] == f"{path}@{at['after']} <https://www.outlet2.example/news/2>"


def test_the_text_summary_names_skips_and_failures(env_settings, tmp_path):
    path = tmp_path / "crawl.warc.gz"
    mixed_warc(path)
    result = CliRunner().invoke(cli, ["ingest", str(path)], catch_exceptions=False)
    assert "3 indexed, 0 already present, 2 failed" in result.output
    assert "skipped 3: 1 HTTP status 404, 1 not HTML, 1 request record" in result.output


def test_reingesting_is_already_present_and_one_article_across_two_warcs(env_settings, tmp_path):
    path = tmp_path / "a.warc.gz"
    mixed_warc(path)
    ingest(str(path))
    again, report = ingest(str(path))
    assert (len(report["indexed"]), len(report["duplicates"])) == (0, 3)
    # The same page in another crawl file, uncompressed this time: still one article.
    other = write_warc(tmp_path / "b.warc", [record_bytes(response(writer(False), "https://www.outlet0.example/news/0",
                                                                 story_page(0), date="2024-06-01T00:00:00Z"), gzip=False)])
    _, report = ingest(str(other))
    assert (len(report["indexed"]), len(report["duplicates"])) == (0, 1)
    stats = json.loads(CliRunner().invoke(cli, ["status", "--json"]).stdout)
    assert stats["store"]["articles"] == 3


def test_domain_and_since_take_only_the_wanted_pages(env_settings, tmp_path):
    w = writer()
    path = write_warc(tmp_path / "many.warc.gz", [
        record_bytes(response(w, "https://news.bbc.co.uk/a", story_page(0))),
        record_bytes(response(w, "https://www.bbc.co.uk/b", story_page(1))),
        record_bytes(response(w, "https://notbbc.co.uk/c", story_page(2))),
        record_bytes(response(w, "https://www.bbc.co.uk/old", story_page(3), date="2023-01-01T00:00:00Z")),
        record_bytes(response(w, "https://www.bbc.co.uk/archive", story_page(4, published="2020-03-01"))),
        record_bytes(response(w, "https://example.org/d", story_page(5))),
    ])
    result, report = ingest(str(path), "--domain", "https://www.BBC.co.uk/", "--since", "2024-01-01")
    assert result.exit_code == 0, result.output
    assert sorted(o["origin"].split("<")[1] for o in report["indexed"]) == ["https://news.bbc.co.uk/a>",
                                                                           "https://www.bbc.co.uk/b>"]
    assert report["skipped"] == {"outside --domain": 2, "fetched before --since": 1, "published before --since": 1}


def test_filters_without_a_warc_file_are_a_usage_error(env_settings, tmp_path):
    (tmp_path / "a.txt").write_text("Title\n\nSome text of an article.", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "a.txt"), "--domain", "bbc.co.uk"])
    assert result.exit_code == 2 and "no WARC file" in result.output


def test_a_folder_of_warcs_is_read_and_a_warc_outside_the_roots_is_refused(tmp_path):
    inbox, elsewhere = tmp_path / "inbox", tmp_path / "elsewhere"
    inbox.mkdir(), elsewhere.mkdir()
    path = write_warc(elsewhere / "x.warc.gz", [record_bytes(response(writer(), "https://a.example/1", story_page(0)))])
    (inbox / "link.warc.gz").symlink_to(path)
    items = list(read_warc(inbox / "link.warc.gz", [inbox], WarcSettings(), WarcFilter()))
    assert len(items) == 1 and "outside the folders newsworker may read" in items[0].reason


def test_payload_cap_and_gzip_bomb_are_named_and_bounded(tmp_path):
    w = writer()
    big = story_page(0) + b"<!--" + b"x" * 300_000 + b"-->"
    bomb = b"\0" * (24 * 1024 * 1024)
    path = write_warc(tmp_path / "b.warc.gz", [
        record_bytes(response(w, "https://a.example/big", big)),
        record_bytes(response(w, "https://a.example/ok", story_page(1))),
        record_bytes(response(w, "https://a.example/bomb", bomb, content_type="application/octet-stream")),
        record_bytes(response(w, "https://a.example/after", story_page(2))),
    ])
    assert path.stat().st_size < 200_000
    items = list(read_warc(path, [tmp_path], WarcSettings(max_record_bytes=100_000), WarcFilter()))
    assert "over the 100,000-byte limit (NEWSWORKER_WARC__MAX_RECORD_BYTES)" in items[0].reason
    assert items[1].url == "https://a.example/ok"
    assert "gzip bomb" in items[2].reason and len(items) == 3  # reading stops at the bomb


def test_a_plan_cuts_the_file_into_contiguous_spans_of_pages(tmp_path):
    w = writer()
    pieces = []
    for i in range(7):
        pieces += [record_bytes(request(w, f"https://a.example/{i}")), record_bytes(response(w, f"https://a.example/{i}", story_page(i)))]
    path = write_warc(tmp_path / "p.warc.gz", pieces)
    spans = plan_chunks(path, [tmp_path], WarcSettings(), WarcFilter(), 3)
    assert spans[0][0] == 0 and spans[-1][1] == path.stat().st_size and len(spans) == 3
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    pages = [[d.url for d in read_warc(path, [tmp_path], WarcSettings(), WarcFilter(), span=s) if hasattr(d, "url")]
             for s in spans]
    assert [len(p) for p in pages] == [3, 3, 1] and sum(pages, []) == [f"https://a.example/{i}" for i in range(7)]


@pytest.mark.timeout(240)
def test_with_a_broker_a_warc_file_is_one_task_per_span_of_pages(broker_env, tmp_path, monkeypatch):
    env = {**broker_env, "NEWSWORKER_WARC__PAGES_PER_TASK": "2"}
    monkeypatch.setenv("NEWSWORKER_WARC__PAGES_PER_TASK", "2")
    path = tmp_path / "crawl.warc.gz"
    at = mixed_warc(path)
    worker = WorkerProcess(env, tmp_path, tmp_path / "worker.log").start()
    try:
        result, report = ingest(str(path), "--wait", "--timeout", "180")
        log = worker.tail(50000)
    finally:
        worker.stop()
    assert result.exit_code == 0, result.output + log
    assert len(report["indexed"]) == 3 and report["skipped"] == {"request record": 1, "not HTML": 1, "HTTP status 404": 1}
    assert sorted(f["origin"].split(" <")[0] for f in report["failed"]) == sorted(f"{path}@{at[k]}" for k in ("corrupt", "truncated"))
    spans = re.findall(r"ingest_warc task=\S+ file=\S+ span=(\S+ \S+|None) indexed=(\d+)", log)
    assert len(spans) == 2 and sorted(int(n) for _, n in spans) == [1, 2], log


def test_a_span_whose_worker_keeps_dying_is_sent_again_in_halves_of_its_records(env_settings, tmp_path):
    from types import SimpleNamespace

    from worker.splitting import split_warc_span
    from worker.warc_tasks import INGEST_WARC

    w = writer()
    path = write_warc(tmp_path / "s.warc.gz", [record_bytes(response(w, f"https://a.example/{i}", story_page(i)))
                                               for i in range(5)])
    sent: list[dict] = []
    task = SimpleNamespace(name=INGEST_WARC, request=SimpleNamespace(id="t1"),
                           app=SimpleNamespace(tasks={INGEST_WARC: SimpleNamespace(apply_async=lambda **kw: sent.append(kw))}))
    runtime = SimpleNamespace(settings=env_settings(inbox_dirs=[tmp_path], warc={"pages_per_task": 2}))
    size = path.stat().st_size
    first = plan_chunks(path, [tmp_path], WarcSettings(), WarcFilter(), 5)[0]
    report = split_warc_span(task, runtime, str(path), None, list(first), 3)
    low, high = (s["kwargs"]["span"] for s in sent)
    assert low[0] == 0 and low[1] == high[0] and high[1] == size and len(report.handed_off) == 2
    assert [s["task_id"] for s in sent] == ["t1:split0", "t1:split1"]
    sent.clear()
    split_warc_span(task, runtime, str(path), None, None, 3)  # the planner itself died: each planned span a task
    assert [s["kwargs"]["span"] for s in sent] == [list(s) for s in plan_chunks(path, [tmp_path], WarcSettings(),
                                                                                WarcFilter(), 2)]


@pytest.mark.parametrize("gzip", [True, False], ids=["warc.gz", "warc"])
def test_a_record_cut_short_in_the_middle_is_named_and_the_records_after_it_are_read(tmp_path, gzip):
    w = writer(gzip)
    good = [record_bytes(response(w, f"https://a.example/{i}", story_page(i)), gzip) for i in range(3)]
    # .warc.gz: a gzip member cut in half; .warc: a header that lost its Content-Length line.
    bad = good[1][: len(good[1]) // 2] if gzip else re.sub(rb"Content-Length: \d+\r\n", b"", good[1], count=1)
    path = write_warc(tmp_path / ("m.warc.gz" if gzip else "m.warc"), [good[0], bad, good[2]])
    items = list(read_warc(path, [tmp_path], WarcSettings(), WarcFilter()))
    # Both whole records are read; the cut one is named at its offset. Now and then (the record
    # IDs are random) the first half of a cut gzip member inflates on into the next member's
    # bytes: its header reads, its body is garbage, and the stretch after it is named too.
    assert [i.url for i in items if not isinstance(i, Failure)] == ["https://a.example/0", "https://a.example/2"]
    failures = [i for i in items if isinstance(i, Failure)]
    assert items[0].url == "https://a.example/0" and isinstance(items[1], Failure) and items[-1].url.endswith("/2")
    assert failures[0].origin.startswith(f"{path}@{len(good[0])}")
    assert len(failures) == 1 and "reading goes on at the next record" in failures[0].reason or \
        (gzip and len(failures) == 2 and "reading goes on at the next record" in failures[1].reason)
