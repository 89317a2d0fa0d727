"""`newsworker ingest URL...` and `--urls FILE` against a real server on 127.0.0.1, end to end
into the SQLite store through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL, require_redis
from tests.httpserver import Reply
from tests.pages import article_html, clear_robots
from tests.test_cli import run  # noqa: F401 - the CLI fixture this file builds on

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def web(run, monkeypatch, server):
    """The CLI (test_cli's ``run``) fetching from the test server, robots.txt cached in the test Redis."""
    require_redis()
    monkeypatch.setenv("NEWSWORKER_FETCH__ALLOW_PRIVATE", '["127.0.0.1/32"]')
    monkeypatch.setenv("NEWSWORKER_FETCH__MAX_BYTES", str(64 * 1024))
    monkeypatch.setenv("NEWSWORKER_FETCH__MAX_REDIRECTS", "2")
    monkeypatch.setenv("NEWSWORKER_REDIS_URL", REDIS_URL)
    clear_robots(server.base)
    server.serve("/robots.txt", Reply(200, b"User-agent: newsworker\nDisallow: /private\n"))
    return run


def test_a_page_is_read_with_its_provenance_and_a_second_ingest_finds_it_present(web, server):
    canonical = server.url("/articles/troops-stay")
    server.serve("/story", Reply(200, article_html("Troops stay at the base", canonical=canonical + "?utm_source=x"), HTML))
    server.serve("/old-link", Reply(301, headers={"Location": "/story"}))
    report = json.loads(web("ingest", server.url("/old-link"), "--json").stdout)
    assert [o["status"] for o in report["indexed"]] == ["created"] and not report["failed"]
    article = json.loads(web("show", report["indexed"][0]["id"], "--json").stdout)
    assert article["origin"] == server.url("/old-link")
    assert article["url"] == server.url("/story")  # where the redirects ended
    assert article["canonical_url"] == canonical  # the page's own name for itself
    assert article["title"] == "Troops stay at the base" and article["source"] == "Local Wire"
    assert article["published_at"].startswith("2021-01-15")
    assert {f["value"] for f in article["figures"]} >= {2500}

    again = web("ingest", server.url("/story"))
    assert "0 indexed, 1 already present, 0 failed" in again.stdout


def test_a_url_file_names_every_bad_line_and_url_and_the_batch_goes_on(web, server, tmp_path):
    server.serve("/good", Reply(200, article_html("Convoy leaves the base"), HTML))
    server.serve("/private/x", Reply(200, article_html("Not for robots"), HTML))
    server.serve("/paper.pdf", Reply(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}))
    server.serve("/huge", Reply(200, b"<p>" + b"x" * 100_000, HTML))
    server.serve("/loop", Reply(302, headers={"Location": "/loop"}))
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join([
        "# morning run", "", server.url("/good"), "not a url", "ftp://files.example/x", server.url("/private/x"),
        server.url("/missing"), server.url("/paper.pdf"), server.url("/huge"), server.url("/loop"),
        "http://10.1.2.3/inside", "   ",
    ]))
    result = web("ingest", "--urls", str(listing), "--json")
    report = json.loads(result.stdout)
    assert len(report["indexed"]) == 1 and report["indexed"][0]["origin"] == server.url("/good")
    reasons = {f["origin"]: f["reason"] for f in report["failed"]}
    assert reasons[f"{listing}:4"] == "not an http or https URL: 'not a url'"
    assert reasons[f"{listing}:5"].startswith("not an http or https URL")
    assert "refused by" in reasons[server.url("/private/x")] and "robots.txt" in reasons[server.url("/private/x")]
    assert reasons[server.url("/missing")] == "HTTP 404"
    assert "not an HTML page (Content-Type application/pdf)" in reasons[server.url("/paper.pdf")]
    assert "65,536-byte limit" in reasons[server.url("/huge")]
    assert "more than 2 redirects" in reasons[server.url("/loop")]
    assert "non-public address 10.1.2.3" in reasons["http://10.1.2.3/inside"]
    assert len(reasons) == 8
    assert not server.hits("/private/x")
    status = json.loads(web("status", "--json").stdout)
    assert status["store"]["failures"] == 8  # every one recorded, the refused lines too


def test_many_urls_show_a_progress_bar_and_nothing_ingested_exits_non_zero(web, server):
    urls = [server.serve(f"/s{n}", Reply(200, article_html(f"Story {n} of the day", n=1000 * n), HTML)) for n in range(1, 8)]
    result = web("ingest", *urls)
    assert "Ingesting" in result.stderr and "7 indexed, 0 already present, 0 failed" in result.stdout
    failed = web("ingest", server.url("/nothing-here"), code=1)
    assert f"failed: {server.url('/nothing-here')}: HTTP 404" in failed.stdout


def test_paths_and_urls_in_one_command(web, server, tmp_path):
    from tests.conftest import SEED

    url = server.serve("/one", Reply(200, article_html("One more story"), HTML))
    report = json.loads(web("ingest", str(SEED), url, "--json").stdout)
    assert {o["origin"] for o in report["indexed"]} == {str(SEED), url}


def test_full_article_feed_page_refused_by_robots_is_named_in_the_note(web, server):
    from tests.test_feed_poll import rss

    server.serve("/feed.xml", Reply(200, rss([{"id": "a", "title": "Teaser only", "link": server.url("/private/a")}]),
                                    {"Content-Type": "application/rss+xml"}))
    web("feeds", "add", server.url("/feed.xml"), "--full-article")
    out = web("feeds", "poll", "--all").stdout
    assert "full article fetch failed for" in out and "robots.txt" in out and "used the feed summary" in out
    assert not server.hits("/private/a")


def test_console_script_ingests_a_url_file(web, server, tmp_path):
    exe = Path(sys.executable).with_name("newsworker")
    if not exe.exists():
        pytest.skip("newsworker console script not installed in this environment")
    url = server.serve("/wire", Reply(200, article_html("Wire story from the coast"), HTML))
    (tmp_path / "urls.txt").write_text(f"{url}\n")


    env = {k: v for k, v in os.environ.items() if k.startswith("NEWSWORKER_")} | {"PATH": str(exe.parent), "HOME": str(tmp_path)}
    done = subprocess.run([str(exe), "ingest", "--urls", "urls.txt", "--json"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [o["origin"] for o in json.loads(done.stdout)["indexed"]] == [url]


def test_a_canonical_on_another_site_does_not_name_the_article():
    from worker.pages.fetch import canonical_of

    assert canonical_of("https://www.wire.example/a?x=1", "https://wire.example/a") == "https://wire.example/a"
    # A page may not take another outlet's article id by declaring its URL.
    assert canonical_of("https://copycat.example/a", "https://wire.example/a") == "https://copycat.example/a"
    assert canonical_of("https://wire.example/a", "javascript:void(0)") == "https://wire.example/a"


def test_url_file_lines():
    from worker.pages.urls import read_url_lines

    urls, refused = read_url_lines("u.txt", "\ufeff# c\n\nhttps://a.example/1\n  https://a.example/2  \nhttp:///nohost\nhttps://a.example/x y\n")
    assert urls == ["https://a.example/1", "https://a.example/2"]
    assert [(f.origin, f.reason.split(":")[0]) for f in refused] == [("u.txt:5", "URL has no host"),
                                                                   ("u.txt:6", "URL contains white space")]
