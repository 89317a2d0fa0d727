"""Polling feeds from a real HTTP server on 127.0.0.1, end to end into the store."""

from __future__ import annotations

import json
from datetime import timedelta
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner

from tests.httpserver import Reply, conditional
from worker.feeds.registry import FeedConfig
from worker.models import SearchQuery, utc_now
from worker.runtime import Runtime

PARAGRAPH = (
    "Officials said on Tuesday that {n:,} soldiers would stay in the region while talks continue, "
    "and that the decision followed weeks of negotiations between the two governments."
)


def rss(items: list[dict], title: str = "Local Wire") -> bytes:
    parts = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>{title}</title><link>http://example.org/</link>']
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item['title'])}</title>")
        parts.append(f"<guid isPermaLink=\"false\">{item['id']}</guid>")
        if item.get("link"):
            parts.append(f"<link>{escape(item['link'])}</link>")
        parts.append(f"<description>{escape(item.get('summary', item['title']))}</description>")
        if item.get("body"):
            parts.append(f"<content:encoded><![CDATA[{item['body']}]]></content:encoded>")
        parts.append("<pubDate>Fri, 15 Jan 2021 10:00:00 GMT</pubDate></item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def story(n: int, **extra) -> dict:
    return {"id": f"story-{n}", "title": f"Story number {n} about troops", "body": f"<p>{PARAGRAPH.format(n=1000 + n)}</p>", **extra}


@pytest.fixture
def runtime(env_settings, tmp_path, extractor):
    settings = env_settings(
        fetch={"allow_private": ["127.0.0.1/32"], "max_bytes": 64 * 1024, "total_timeout": 10},
        feeds={"registry": tmp_path / "feeds.toml"},
    )
    made = Runtime(settings)
    made.__dict__["extractor"] = extractor  # the session's loaded model
    yield made
    made.close()


def _poll(runtime: Runtime, url: str, **config):
    feed = FeedConfig(url=url, **config)
    runtime.registry.add(feed)
    return runtime.poller.poll(runtime.registry.get(url) or feed)


def test_first_poll_ingests_items_then_304_ingests_nothing(runtime, server):
    url = server.serve("/feed.xml", conditional(rss([story(1), story(2), story(3)]), '"v1"'))
    first = _poll(runtime, url)
    assert (first.status, first.new_items, len(first.report.indexed)) == ("ok", 3, 3)
    assert runtime.store.stats().articles == 3

    second = runtime.poller.poll(runtime.registry.get(url))
    assert (second.status, second.new_items) == ("not_modified", 0)
    assert server.hits("/feed.xml")[-1].headers["if-none-match"] == '"v1"'
    state = runtime.feed_states.get(url)
    assert state.last_status == 304 and state.items_seen == 3 and state.consecutive_errors == 0


def test_changed_feed_ingests_only_the_new_item(runtime, server):
    url = server.serve("/feed.xml", conditional(rss([story(1), story(2)]), '"v1"'))
    _poll(runtime, url)
    server.serve("/feed.xml", conditional(rss([story(3), story(1), story(2)]), '"v2"'))
    report = runtime.poller.poll(runtime.registry.get(url))
    assert (report.items, report.new_items) == (3, 1)
    assert [o.origin for o in report.report.indexed] == [f"{url}#story-3"]
    assert runtime.store.stats().articles == 3


def test_unchanged_body_without_validators_is_not_parsed_again(runtime, server, monkeypatch):
    url = server.serve("/feed.xml", Reply(200, rss([story(1)])))  # no ETag, no Last-Modified
    assert _poll(runtime, url).new_items == 1
    import worker.feeds.poll as poll_module

    def no_parsing(*args, **kwargs):
        raise AssertionError("an unchanged body must not be parsed")

    monkeypatch.setattr(poll_module, "parse_feed", no_parsing)
    again = runtime.poller.poll(runtime.registry.get(url))
    assert (again.status, again.http_status, again.new_items) == ("not_modified", 200, 0)
    assert runtime.feed_states.get(url).last_status == 200


def test_a_feed_cannot_squat_another_outlets_link(runtime, server):
    """Issue 18 item 10: one feed claimed another outlet's article URL first and its text won.
    A link's identity is per feed unless the page itself was fetched."""
    fake = "<p>Fabricated: the garrison of 900 troops was never there, officials deny everything said.</p>"
    squatter = server.serve("/a.xml", Reply(200, rss([story(7, link="http://news.example/a/7?utm_source=rss", body=fake)])))
    outlet = server.serve("/b.xml", Reply(200, rss([{**story(7), "id": "other-id", "link": "http://news.example/a/7"}])))
    first, second = _poll(runtime, squatter), _poll(runtime, outlet)
    assert first.new_items == 1 and second.new_items == 1
    [taken], [own] = first.report.indexed, second.report.indexed
    assert taken.id != own.id and own.status == "created"
    assert "Fabricated" in runtime.store.get(taken.id).body and "Fabricated" not in runtime.store.get(own.id).body
    assert runtime.store.get(taken.id).feed_url == squatter and runtime.store.get(own.id).feed_url == outlet


def test_items_carry_feed_provenance(runtime, server):
    url = server.serve("/feed.xml", Reply(200, rss([story(1, link="http://news.example/s1")])))
    _poll(runtime, url, name="Local Wire Service")
    hit = runtime.store.search(SearchQuery(text="negotiations")).hits[0]
    article = runtime.store.get(hit.id)
    assert article.source == "Local Wire Service"
    assert article.feed_url == url
    assert article.url == "http://news.example/s1"
    assert article.published_at.isoformat().startswith("2021-01-15T10:00")


def test_permanent_redirect_moves_the_stored_url(runtime, server):
    new_url = server.serve("/new.xml", Reply(200, rss([story(1)])))
    old_url = server.serve("/old.xml", Reply(301, headers={"Location": "/new.xml"}))
    report = _poll(runtime, old_url)
    assert report.moved_to == new_url and report.status == "ok"
    assert [f.url for f in runtime.registry.feeds()] == [new_url]
    assert runtime.feed_states.get(new_url).last_status == 200


def test_temporary_redirect_keeps_the_url(runtime, server):
    server.serve("/new.xml", Reply(200, rss([story(1)])))
    old_url = server.serve("/old.xml", Reply(302, headers={"Location": "/new.xml"}))
    assert _poll(runtime, old_url).moved_to is None
    assert [f.url for f in runtime.registry.feeds()] == [old_url]


def test_server_errors_back_off_exponentially(runtime, server):
    url = server.serve("/feed.xml", Reply(500, b"oops"))
    feed = FeedConfig(url=url, interval_minutes=10)
    runtime.registry.add(feed)
    waits = []
    for _ in range(3):
        before = utc_now()
        report = runtime.poller.poll(feed, now=before)
        state = runtime.feed_states.get(url)
        waits.append(state.next_poll - before)
    assert report.status == "error" and report.error == "HTTP 500"
    assert state.consecutive_errors == 3
    assert waits == [timedelta(minutes=20), timedelta(minutes=40), timedelta(minutes=80)]
    server.serve("/feed.xml", Reply(200, rss([story(1)])))
    runtime.poller.poll(feed)
    assert runtime.feed_states.get(url).consecutive_errors == 0


def test_429_honours_retry_after(runtime, server):
    url = server.serve("/feed.xml", Reply(429, headers={"Retry-After": "7200"}))
    now = utc_now()
    _poll(runtime, url)
    state = runtime.feed_states.get(url)
    assert state.next_poll - now >= timedelta(seconds=7199)
    assert "slow down" in state.last_error


def test_410_retires_the_feed(runtime, server):
    url = server.serve("/feed.xml", Reply(410))
    assert _poll(runtime, url).status == "gone"
    assert runtime.feed_states.get(url).retired
    assert runtime.poller.poll(runtime.registry.get(url)).status == "retired"
    assert len(server.hits("/feed.xml")) == 1


def test_oversized_body_is_cut_off_with_an_error(runtime, server):
    big = rss([story(i) for i in range(1000)])
    assert len(big) > 64 * 1024
    url = server.serve("/big.xml", Reply(200, big))
    report = _poll(runtime, url)
    assert report.status == "error" and "65,536-byte limit" in report.error
    assert runtime.store.stats().articles == 0


def test_gzip_bomb_is_cut_off_by_decoded_size(runtime, server):
    url = server.serve("/bomb.xml", Reply(200, b"<rss>" + b" " * 5_000_000 + b"</rss>", gzip=True))
    report = _poll(runtime, url)
    assert report.status == "error" and "cut off at the 65,536-byte limit" in report.error


def test_gzip_feed_is_decoded_and_user_agent_sent(runtime, server):
    url = server.serve("/feed.xml", Reply(200, rss([story(1)]), gzip=True))
    assert _poll(runtime, url).new_items == 1
    request = server.hits("/feed.xml")[0]
    assert request.headers["user-agent"].startswith("newsworker/")
    assert "gzip" in request.headers["accept-encoding"]


def test_endless_redirects_stop_after_five(runtime, server):
    url = server.serve("/loop", Reply(302, headers={"Location": "/loop"}))
    report = _poll(runtime, url)
    assert report.status == "error" and "more than 5 redirects" in report.error
    assert len(server.hits("/loop")) == 6


def test_private_address_is_refused_unless_allowed(env_settings, tmp_path, server, extractor):
    settings = env_settings(feeds={"registry": tmp_path / "feeds.toml"})
    guarded = Runtime(settings)
    guarded.__dict__["extractor"] = extractor
    url = server.serve("/feed.xml", Reply(200, rss([story(1)])))
    report = _poll(guarded, url)
    assert report.status == "error" and "non-public address 127.0.0.1" in report.error
    assert server.hits("/feed.xml") == []
    guarded.close()


def test_redirect_to_a_private_address_is_refused(runtime, server):
    url = server.serve("/feed.xml", Reply(302, headers={"Location": "http://10.0.0.1/feed.xml"}))
    report = _poll(runtime, url)
    assert report.status == "error" and "non-public address 10.0.0.1" in report.error


def test_full_article_is_fetched_when_the_item_has_only_a_summary(runtime, server):
    page = "<html><head><title>Full story</title></head><body><article>" + "".join(
        f"<p>{PARAGRAPH.format(n=4000 + i)} Paragraph {i} adds detail about the withdrawal.</p>" for i in range(6)
    ) + "</article></body></html>"
    link = server.serve("/story.html", Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"}))
    url = server.serve("/feed.xml", Reply(200, rss([{"id": "s1", "title": "Short item", "summary": "Just a teaser.", "link": link}])))
    report = _poll(runtime, url, full_article=True)
    assert report.new_items == 1 and report.problem is None
    article = runtime.store.get(report.report.indexed[0].id)
    assert "Paragraph 5 adds detail about the withdrawal" in article.body
    assert article.standfirst == "Just a teaser."


def test_full_article_failure_falls_back_to_the_summary_with_a_note(runtime, server):
    link = server.url("/missing.html")
    summary = "A teaser that is long enough to be indexed as the article text for this item."
    url = server.serve("/feed.xml", Reply(200, rss([{"id": "s1", "title": "Short item", "summary": summary, "link": link}])))
    report = _poll(runtime, url, full_article=True)
    assert len(report.report.indexed) == 1
    assert "full article fetch failed" in report.problem and "HTTP 404" in report.problem
    assert runtime.store.get(report.report.indexed[0].id).body == summary
    assert "full article fetch failed" in runtime.feed_states.get(url).last_problem


def test_bozo_feed_with_entries_is_used_and_the_problem_recorded(runtime, server):
    broken = rss([story(1)]).replace(b"</channel></rss>", b"<unclosed></channel></rss>")
    url = server.serve("/feed.xml", Reply(200, broken))
    report = _poll(runtime, url)
    assert report.new_items == 1
    assert "malformed feed" in runtime.feed_states.get(url).last_problem


def test_html_served_as_a_feed_is_an_error_in_state(runtime, server):
    url = server.serve("/page", Reply(200, b"<!doctype html><html><body><p>Hello</p></body></html>", {"Content-Type": "text/html"}))
    report = _poll(runtime, url)
    assert report.status == "error" and "HTML page" in report.error
    assert runtime.feed_states.get(url).consecutive_errors == 1


def test_json_feed_is_polled(runtime, server):
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "JSON Wire", "items": [
        {"id": "j1", "url": "http://json.example/1", "title": "Json story", "content_html": f"<p>{PARAGRAPH.format(n=2500)}</p>"}]}
    url = server.serve("/feed.json", Reply(200, json.dumps(doc).encode(), {"Content-Type": "application/feed+json"}))
    report = _poll(runtime, url)
    assert report.new_items == 1
    assert runtime.store.get(report.report.indexed[0].id).source == "JSON Wire"


def test_poll_due_feeds_polls_only_due_feeds(runtime, server):
    from worker.celery_app import create_app
    from worker.tasks import POLL_DUE_FEEDS

    due = server.serve("/due.xml", Reply(200, rss([story(1)])))
    later = server.serve("/later.xml", Reply(200, rss([story(2)])))
    runtime.registry.add(FeedConfig(url=due))
    runtime.registry.add(FeedConfig(url=later))
    runtime.feed_states.put(runtime.feed_states.get(later).model_copy(update={"next_poll": utc_now() + timedelta(hours=1)}))
    app = create_app(runtime.settings)
    app.newsworker_runtime = runtime
    assert app.tasks[POLL_DUE_FEEDS].apply().get() == [due]
    assert server.hits("/later.xml") == []
    assert runtime.store.stats().articles == 1
    assert app.tasks[POLL_DUE_FEEDS].apply().get() == []  # held until its next poll


def test_cli_add_discovers_the_feed_and_lists_state(runtime, server, monkeypatch):
    from worker.cli.main import cli

    feed_url = server.serve("/rss.xml", Reply(200, rss([story(1)])))
    page = '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head><body>Home</body></html>'
    site = server.serve("/", Reply(200, page.encode(), {"Content-Type": "text/html"}))
    monkeypatch.setenv("NEWSWORKER_FEEDS__REGISTRY", str(runtime.settings.feeds.registry))
    monkeypatch.setenv("NEWSWORKER_FETCH__ALLOW_PRIVATE", '["127.0.0.1/32"]')
    runner = CliRunner()
    added = runner.invoke(cli, ["feeds", "add", site, "--interval", "15"], catch_exceptions=False)
    assert added.exit_code == 0, added.output
    assert f"Added {feed_url} (discovered from {site})" in added.output
    polled = runner.invoke(cli, ["feeds", "poll"], catch_exceptions=False)
    assert "ok (HTTP 200), 1 items, 1 new: 1 indexed" in polled.output
    listed = json.loads(runner.invoke(cli, ["feeds", "list", "--json"]).output)
    assert listed[0]["url"] == feed_url and listed[0]["interval_minutes"] == 15
    assert listed[0]["state"]["items_seen"] == 1
    removed = runner.invoke(cli, ["feeds", "remove", feed_url])
    assert removed.exit_code == 0 and json.loads(runner.invoke(cli, ["feeds", "list", "--json"]).output) == []


def test_seen_items_are_dropped_before_parsing_but_new_ones_kept(runtime, server, monkeypatch):
    import worker.feeds.poll as poll_module

    url = server.serve("/feed.xml", Reply(200, rss([story(i, link=f"http://news.example/{i}") for i in range(1, 6)])))
    assert _poll(runtime, url).new_items == 5
    parsed_sizes = []
    real_parse = poll_module.parse_feed

    def counting_parse(feed_url, data, content_type="", base=None):
        result = real_parse(feed_url, data, content_type, base)
        parsed_sizes.append(len(result.items))
        return result

    monkeypatch.setattr(poll_module, "parse_feed", counting_parse)
    server.serve("/feed.xml", Reply(200, rss([story(6, link="http://news.example/6")] + [story(i, link=f"http://news.example/{i}") for i in range(1, 6)])))
    report = runtime.poller.poll(runtime.registry.get(url))
    assert (report.items, report.new_items, parsed_sizes) == (6, 1, [1])
    assert [o.origin for o in report.report.indexed] == [f"{url}#story-6"]

    server.serve("/feed.xml", Reply(200, rss([story(i, link=f"http://news.example/{i}") for i in range(1, 7)], title="Renamed")))
    again = runtime.poller.poll(runtime.registry.get(url))
    assert (again.status, again.items, again.new_items, parsed_sizes) == ("ok", 6, 0, [1])
    assert runtime.feed_states.get(url).title == "Renamed"
