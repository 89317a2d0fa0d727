"""A feed's own fault stays its own (issue 18, item 17): validators a client cannot send back,
a Retry-After in the year 9999, an interval past any date, a poll that breaks, and the feeds
polled after it in the same chunk. Real HTTP on 127.0.0.1 where the finding needs it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from tests.conftest import SEEDS
from tests.httpserver import Reply
from worker.feeds.http import Fetcher, validator
from worker.feeds.registry import FeedConfig
from worker.feeds.schedule import after_error
from worker.feeds.state import FeedState
from worker.settings import FetchSettings

FEED = (SEEDS / "feed.xml").read_bytes()


def test_a_non_ascii_etag_is_not_kept_and_the_next_poll_still_works(server):
    server.serve("/feed.xml", Reply(200, FEED, {"Content-Type": "application/rss+xml", "ETag": '"café"',
                                                "Last-Modified": "Fri, 15 Jan 2021 12:00:00 GMT"}))
    fetcher = Fetcher(FetchSettings(allow_private=["127.0.0.1/32"], total_timeout=10))
    first = fetcher.get(server.url("/feed.xml"))
    assert first.status == 200 and first.etag is None and first.last_modified == "Fri, 15 Jan 2021 12:00:00 GMT"
    again = fetcher.get(server.url("/feed.xml"), etag='"café"', last_modified=first.last_modified)  # a stored bad one
    assert again.status == 200
    assert "if-none-match" not in server.requests[-1].headers
    fetcher.close()


@pytest.mark.parametrize("value, kept", [('"abc"', True), ('W/"x-1"', True), ('"café"', False), ("a\nb", False), ("x" * 2000, False)])
def test_validators_are_printable_ascii(value, kept):
    assert (validator(value) == value) is kept


def test_a_retry_after_in_9999_is_capped_by_the_backoff():
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    later = after_error(FeedState(url="u"), "HTTP 503", now, timedelta(minutes=30), timedelta(days=1), 503, 2.5e11)
    assert later.next_poll == now + timedelta(days=1)


def test_an_interval_past_any_date_is_refused_by_the_registry():
    with pytest.raises(ValidationError):
        FeedConfig(url="https://example.org/feed", interval_minutes=10**12)


def test_a_broken_poll_stays_that_feeds_and_the_chunk_goes_on(env_settings, server, monkeypatch):
    monkeypatch.setenv("NEWSWORKER_FETCH__ALLOW_PRIVATE", '["127.0.0.1/32"]')
    settings = env_settings()
    from worker.celery_app import create_app
    from worker.feeds.poll import FeedPoller
    from worker.tasks import POLL_FEEDS

    server.serve("/good.xml", Reply(200, FEED, {"Content-Type": "application/rss+xml"}))
    server.serve("/bad.xml", Reply(200, FEED, {"Content-Type": "application/rss+xml"}))
    app = create_app(settings)
    runtime = app.newsworker_runtime
    for path in ("/bad.xml", "/good.xml"):
        runtime.registry.add(FeedConfig(url=server.url(path), name=path))
    real = FeedPoller.poll

    def poll(self, feed, now=None):
        if feed.url.endswith("/bad.xml"):
            raise OverflowError("date value out of range")  # what a broken feed state used to raise
        return real(self, feed, now)

    monkeypatch.setattr(FeedPoller, "poll", poll)
    reports = app.tasks[POLL_FEEDS].apply(args=[[server.url("/bad.xml"), server.url("/good.xml")]], throw=True).get()
    assert [r["status"] for r in reports] == ["error", "ok"]
    assert "OverflowError" in reports[0]["error"]
