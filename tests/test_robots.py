"""robots.txt for page fetches: RFC 9309 readings, the per-origin cache with its expiry, and a
Crawl-delay kept across workers through Redis; against a real server and the real Redis."""

from __future__ import annotations

import time

import pytest
import redis

from tests.conftest import REDIS_URL, require_redis
from tests.httpserver import Reply
from tests.pages import article_html, clear_robots
from worker.feeds.errors import FetchError
from worker.feeds.http import Fetcher
from worker.robots.cache import MemoryRobotsCache, RedisRobotsCache, make_cache
from worker.robots.gate import RobotsGate, RobotsRefused
from worker.robots.rules import decide, from_response, origin_of, product_token
from worker.settings import FetchSettings, RobotsSettings

AGENT = "newsworker/0.1 (+https://github.com/newsworker/newsworker; feed reader)"
ROBOTS = b"""User-agent: *
Disallow: /everyone-else

User-agent: newsworker
Disallow: /private
Crawl-delay: 0.4
Sitemap: http://example.org/sitemap.xml
"""


def rules(body: bytes, status: int = 200, error: str = ""):
    return from_response("http://h", status, body.decode(), now=0, ttl=100, error_ttl=10, error=error)


def test_our_group_applies_not_the_star_one():
    robots = rules(ROBOTS)
    assert product_token(AGENT) == "newsworker"
    assert not decide(robots, "http://h/private/story", AGENT).allowed
    assert "Disallow for newsworker" in decide(robots, "http://h/private/story", AGENT).reason
    # Groups do not add up: the * group's rule is not ours.
    assert decide(robots, "http://h/everyone-else", AGENT).allowed
    assert decide(robots, "http://h/news/1", AGENT).crawl_delay == 0.4


def test_missing_robots_allows_all_and_unreachable_disallows_all():
    assert decide(rules(b"", 404), "http://h/x", AGENT).allowed
    down = decide(rules(b"", 503), "http://h/x", AGENT)
    assert not down.allowed and "could not be read (HTTP 503)" in down.reason
    cut = decide(rules(b"", 200, error="response cut off at the limit"), "http://h/x", AGENT)
    assert not cut.allowed and "cut off" in cut.reason
    # An error is trusted for less long than rules: the site is asked again soon.
    assert rules(b"", 503).expires_at == 10 and rules(b"", 404).expires_at == 100


def test_origin_is_scheme_host_and_port():
    assert origin_of("HTTPS://News.Example:443/a?b") == "https://news.example"
    assert origin_of("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080"


@pytest.fixture
def fetcher():
    made = Fetcher(FetchSettings(allow_private=["127.0.0.1/32"], total_timeout=5))
    yield made
    made.close()


@pytest.fixture
def redis_cache():
    require_redis()
    client = redis.Redis.from_url(REDIS_URL)
    yield RedisRobotsCache(client)
    client.close()


def gate_for(fetcher, cache, **settings) -> RobotsGate:
    return RobotsGate(fetcher, cache, RobotsSettings(**settings), AGENT)


def test_robots_read_once_per_origin_and_cached_with_its_expiry(server, fetcher, redis_cache):
    clear_robots(server.base)
    server.serve("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private\n", {"Content-Type": "text/plain"}))
    gate = gate_for(fetcher, redis_cache, cache_seconds=300)
    gate.admit(server.url("/news/1"))
    gate.admit(server.url("/news/2"))
    with pytest.raises(RobotsRefused) as refused:
        gate.admit(server.url("/private/3"))
    assert "refused by" in refused.value.reason and refused.value.url.endswith("/private/3")
    assert len(server.hits("/robots.txt")) == 1
    # A second worker (its own gate, the same Redis) reads the cached copy.
    gate_for(fetcher, RedisRobotsCache(redis_cache.client)).admit(server.url("/news/4"))
    assert len(server.hits("/robots.txt")) == 1
    ttl = redis_cache.client.ttl(f"newsworker:robots:file:{server.base}")
    assert 290 <= ttl <= 300


def test_unreachable_robots_refuses_pages_by_name(server, fetcher):
    server.serve("/robots.txt", Reply(503, b"down"))
    with pytest.raises(RobotsRefused) as refused:
        gate_for(fetcher, MemoryRobotsCache()).admit(server.url("/news/1"))
    assert "could not be read (HTTP 503)" in refused.value.reason


def test_crawl_delay_is_kept_across_workers_through_redis(server, fetcher, redis_cache):
    clear_robots(server.base)
    server.serve("/robots.txt", Reply(200, b"User-agent: newsworker\nCrawl-delay: 0.5\n"))
    first = gate_for(fetcher, redis_cache)
    second = gate_for(fetcher, RedisRobotsCache(redis.Redis.from_url(REDIS_URL)))
    started = time.monotonic()
    for gate in (first, second, first, second):
        gate.admit(server.url("/news/1"))
    # Four fetches of one host, whichever worker: three delays between them.
    assert time.monotonic() - started >= 1.4
    second.cache.close()


def test_a_host_booked_too_far_ahead_is_a_transient_refusal(server, fetcher):
    server.serve("/robots.txt", Reply(200, b"User-agent: *\nCrawl-delay: 30\n"))
    gate = gate_for(fetcher, MemoryRobotsCache(), max_wait_seconds=5)
    gate.admit(server.url("/a"))  # the first fetch goes at once
    with pytest.raises(RobotsRefused) as busy:
        gate.admit(server.url("/b"))
    assert busy.value.transient and "NEWSWORKER_ROBOTS__MAX_WAIT_SECONDS" in busy.value.reason
    with pytest.raises(RobotsRefused) as slow:
        gate_for(fetcher, MemoryRobotsCache(), max_crawl_delay=10).admit(server.url("/c"))
    assert "Crawl-delay of 30 s" in slow.value.reason and not slow.value.transient


def test_no_redis_keeps_the_cache_in_process():
    assert isinstance(make_cache("redis://127.0.0.1:1/0"), MemoryRobotsCache)


def test_a_redirect_into_a_disallowed_path_is_refused_before_it_is_fetched(server, fetcher):
    from worker.pages.fetch import PageReader
    from worker.pages.requests import PageRequest

    server.serve("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private\n"))
    server.serve("/go", Reply(302, headers={"Location": "/private/story"}))
    server.serve("/private/story", Reply(200, article_html("Secret"), {"Content-Type": "text/html"}))
    with pytest.raises(FetchError) as refused:
        PageReader(gate_for(fetcher, MemoryRobotsCache())).read(PageRequest(url=server.url("/go")))
    assert "robots.txt" in refused.value.reason and refused.value.url.endswith("/private/story")
    assert not server.hits("/private/story")


def test_redis_books_slots_in_turn_and_refuses_past_the_wait_limit(redis_cache):
    host = f"slots-{time.monotonic_ns()}.example"
    assert redis_cache.reserve(host, 10, max_wait=30) == 0  # the first goes at once
    second = redis_cache.reserve(host, 10, max_wait=30)
    assert 9 < second <= 10
    third = redis_cache.reserve(host, 10, max_wait=30)
    assert 19 < third <= 20
    assert redis_cache.reserve(host, 10, max_wait=15) < -15  # nothing booked
    assert 29 < redis_cache.reserve(host, 10, max_wait=30) <= 30
    assert redis_cache.client.ttl(f"newsworker:robots:next:{host}") > 30  # the key outlives its slot, then goes
    redis_cache.client.delete(f"newsworker:robots:next:{host}")
