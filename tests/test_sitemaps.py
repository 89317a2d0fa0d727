"""`newsworker sitemaps add|list|remove|poll` against a real server on 127.0.0.1: a robots.txt
naming a sitemap index, a Google News child and a gzipped child, conditional GET, lastmod,
the cap per poll, the ledger shared with feeds, and robots.txt refusals."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.httpserver import Reply, Seen
from tests.pages import article_html, sitemap_index, urlset
from tests.test_cli import run  # noqa: F401 - fixtures this file builds on
from tests.test_ingest_urls import HTML, web  # noqa: F401

NEWS = {"name": "Coast Wire", "title": "Convoy leaves the base at dawn", "date": "2021-02-01T06:00:00Z"}


def conditional(body: bytes, etag: str, content_type: str = "application/xml"):
    def route(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, body, {"ETag": etag, "Content-Type": content_type})

    return route


@pytest.fixture
def site(web, server):
    """robots.txt -> index -> a news sitemap and a gzipped one (served as a file, not encoded)."""
    server.serve("/robots.txt", Reply(200, (f"User-agent: newsworker\nDisallow: /private\nCrawl-delay: 0.05\n"
                                            f"Sitemap: {server.url('/sitemap_index.xml')}\n").encode()))
    server.serve("/sitemap_index.xml", conditional(sitemap_index([server.url("/news.xml"), server.url("/pages.xml.gz")]), '"i1"'))
    server.serve("/news.xml", conditional(urlset([{"loc": server.url("/n/convoy"), "news": NEWS}]), '"n1"'))
    pages = gzip.compress(urlset([{"loc": server.url("/p/1"), "lastmod": "2021-01-10"},
                                  {"loc": server.url("/private/2"), "lastmod": "2021-01-11"}]))
    server.serve("/pages.xml.gz", conditional(pages, '"g1"', "application/gzip"))
    for path, n in (("/n/convoy", 3000), ("/p/1", 4000), ("/private/2", 5000)):
        server.serve(path, Reply(200, article_html(f"Page {path}", n=n), HTML))
    return web


def _poll(web, *args: str, code: int = 0) -> list[dict]:
    return json.loads(web("sitemaps", "poll", "--all", "--json", *args, code=code).stdout)


def test_robots_index_news_and_gzip_children_polled_then_only_changes(site, server):
    robots = server.url("/robots.txt")
    assert "robots.txt names 1 sitemaps" in site("sitemaps", "add", robots, "--name", "Site Wire").stdout
    [first] = _poll(site)
    assert (first["status"], first["sitemaps_read"], first["urls"], first["new_urls"]) == ("ok", 4, 3, 3)
    assert len(first["report"]["indexed"]) == 2
    [refused] = first["report"]["failed"]
    assert refused["origin"] == server.url("/private/2") and "robots.txt" in refused["reason"]
    assert not server.hits("/private/2")

    news = json.loads(site("search", "convoy", "--json").stdout)["hits"]
    article = json.loads(site("show", next(h["id"] for h in news if h["url"].endswith("/n/convoy")), "--json").stdout)
    assert (article["title"], article["source"]) == (NEWS["title"], "Coast Wire")
    assert article["published_at"].startswith("2021-02-01T06:00")
    other = [h for h in json.loads(site("search", "soldiers", "--json").stdout)["hits"] if h["url"].endswith("/p/1")]
    assert other[0]["source"] == "Site Wire"  # the registered name, where no news:name says

    [second] = _poll(site)
    assert (second["urls"], second["new_urls"]) == (0, 0)  # every child answered 304
    assert server.hits("/news.xml")[-1].headers["if-none-match"] == '"n1"'
    assert len(server.hits("/p/1")) == 1

    # One page changed (a later lastmod), one added: only those two are fetched.
    server.serve("/pages.xml.gz", conditional(gzip.compress(urlset([
        {"loc": server.url("/p/1"), "lastmod": "2099-01-01"}, {"loc": server.url("/p/3")}])), '"g2"', "application/gzip"))
    server.serve("/p/3", Reply(200, article_html("A third page", n=7000), HTML))
    [third] = _poll(site)
    assert third["new_urls"] == 2 and len(server.hits("/p/1")) == 2 and len(server.hits("/p/3")) == 1
    assert len(third["report"]["duplicates"]) == 1  # /p/1 came back unchanged: already present

    listed = json.loads(site("sitemaps", "list", "--json").stdout)
    assert listed[0]["url"] == robots and listed[0]["state"]["children"] == [server.url("/sitemap_index.xml")]
    assert "Removed" in site("sitemaps", "remove", robots).stdout
    assert "No sitemaps" in site("sitemaps", "list").stdout


def test_a_page_a_feed_brought_is_not_fetched_through_the_sitemap(site, server):
    from tests.test_feed_poll import rss

    server.serve("/feed.xml", Reply(200, rss([{"id": "c", "title": "Convoy", "link": server.url("/n/convoy"),
                                               "body": "<p>" + "Officials said troops left. " * 40 + "</p>"}]),
                                    {"Content-Type": "application/rss+xml"}))
    site("feeds", "add", server.url("/feed.xml"))
    site("feeds", "poll", "--all")
    site("sitemaps", "add", server.url("/news.xml"))
    [report] = _poll(site)
    assert (report["urls"], report["new_urls"], report["seen_before"]) == (1, 0, 1)
    assert not server.hits("/n/convoy")


def test_the_cap_leaves_the_rest_for_the_next_poll(site, server, monkeypatch):
    monkeypatch.setenv("NEWSWORKER_SITEMAPS__MAX_URLS_PER_POLL", "2")
    entries = [{"loc": server.url(f"/p/{n}"), "lastmod": f"2021-01-{10 + n}"} for n in range(1, 4)]
    server.serve("/three.xml", conditional(urlset(entries), '"t1"'))
    for n in (2, 3):
        server.serve(f"/p/{n}", Reply(200, article_html(f"Page {n} of three", n=1000 * n), HTML))
    site("sitemaps", "add", server.url("/three.xml"))
    [first] = _poll(site)
    assert (first["new_urls"], first["deferred"]) == (2, 1)
    assert {o["origin"] for o in first["report"]["indexed"]} == {server.url("/p/3"), server.url("/p/2")}  # newest first
    assert "left for the next poll" in first["problem"]
    [second] = _poll(site)
    # The sitemap is read whole again (no If-None-Match): the page left over is fetched now.
    assert (second["new_urls"], second["deferred"]) == (1, 0)
    assert "if-none-match" not in server.hits("/three.xml")[-1].headers


def test_errors_back_off_and_beat_polls_what_is_due(site, server):
    from worker.celery_app import create_app
    from worker.tasks import POLL_DUE_SITEMAPS

    server.serve("/gone.xml", Reply(200, urlset([])))
    site("sitemaps", "add", server.url("/gone.xml"))
    server.serve("/gone.xml", Reply(500, b"oops"))
    [failed] = _poll(site, code=1)
    assert (failed["status"], failed["error"]) == ("error", "HTTP 500")
    state = json.loads(site("sitemaps", "list", "--json").stdout)[0]["state"]
    assert state["consecutive_errors"] == 1 and state["last_error"] == "HTTP 500"
    assert "No sitemaps are due." in site("sitemaps", "poll").stdout  # backing off
    status = site("status").stdout
    assert "sitemaps:    1 (1 failing)" in status and "HTTP 500" in status
    server.serve("/gone.xml", Reply(410))
    site("sitemaps", "add", server.url("/gone.xml"), code=1)  # a 410 is not added again
    refused = site("sitemaps", "add", server.url("/private/sitemap.xml"), code=1)
    assert "robots.txt" in refused.output and not server.hits("/private/sitemap.xml")
    from worker.settings import Settings

    assert create_app(Settings()).tasks[POLL_DUE_SITEMAPS].apply().get() == []


def test_a_page_that_failed_for_now_is_fetched_again_at_the_next_poll(site, server):
    answers = iter([Reply(503, b"busy"), Reply(200, article_html("Flaky page comes back", n=9000), HTML)])
    server.serve("/flaky", lambda seen: next(answers))
    server.serve("/flaky.xml", conditional(urlset([{"loc": server.url("/flaky")}]), '"f1"'))
    site("sitemaps", "add", server.url("/flaky.xml"))
    [first] = _poll(site)
    assert first["report"]["failed"][0]["reason"] == "HTTP 503"
    [second] = _poll(site)
    # Given back, not done: the sitemap is read whole again (no 304) and the page fetched.
    assert (second["new_urls"], len(second["report"]["indexed"])) == (1, 1)
    assert "if-none-match" not in server.hits("/flaky.xml")[-1].headers
    [third] = _poll(site)
    assert (third["status"], third["new_urls"]) == ("not_modified", 0)


def test_a_poll_of_many_pages_in_process_shows_a_progress_bar(site, server):
    entries = [{"loc": server.serve(f"/m/{n}", Reply(200, article_html(f"Many pages, number {n}", n=100 * n), HTML))}
               for n in range(1, 8)]
    server.serve("/many.xml", Reply(200, urlset(entries)))
    site("sitemaps", "add", server.url("/many.xml"))
    out = site("sitemaps", "poll", "--all")
    assert f"Pages of {server.url('/many.xml')}" in out.stderr
    assert "7 new or changed: 7 indexed, 0 already present, 0 failed" in out.stdout


def test_children_beyond_the_cap_are_named_not_read(site, server, monkeypatch):
    monkeypatch.setenv("NEWSWORKER_SITEMAPS__MAX_CHILDREN", "1")
    site("sitemaps", "add", server.url("/sitemap_index.xml"))
    [report] = _poll(site)
    assert (report["sitemaps_read"], report["urls"]) == (2, 1)  # the index and its first child
    assert "1 child sitemaps beyond NEWSWORKER_SITEMAPS__MAX_CHILDREN (1) not read" in report["problem"]
    assert not server.hits("/pages.xml.gz")


def test_beat_polls_the_sitemaps_that_are_due_once(site, server):
    from worker.celery_app import create_app
    from worker.settings import Settings
    from worker.tasks import POLL_DUE_SITEMAPS

    site("sitemaps", "add", server.url("/news.xml"), "--interval", "30")
    app = create_app(Settings())
    assert app.tasks[POLL_DUE_SITEMAPS].apply().get() == [server.url("/news.xml")]
    assert len(server.hits("/n/convoy")) == 1
    # Held until its next interval: the next beat tick sends nothing.
    assert app.tasks[POLL_DUE_SITEMAPS].apply().get() == []
    assert json.loads(site("status", "--json").stdout)["store"]["articles"] == 1
