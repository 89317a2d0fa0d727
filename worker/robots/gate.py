"""The gate every fetch that is not a feed passes (pages, sitemaps): robots.txt read (cached per origin),
our User-Agent's rules applied, and the host's Crawl-delay kept, across workers."""

from __future__ import annotations

import logging
import time

import redis

from ..feeds.errors import FetchError
from ..feeds.http import FetchResult
from ..settings import RobotsSettings
from .cache import RobotsCache
from .rules import RobotsFile, decide, from_response, host_of, origin_of, robots_url

log = logging.getLogger(__name__)

ROBOTS_ACCEPT = "text/plain, */*;q=0.5"


class RobotsRefused(FetchError):
    """robots.txt does not let us fetch this URL (or not now): a named failure, never a skip."""


class RobotsGate:
    def __init__(self, fetcher, cache: RobotsCache, settings: RobotsSettings, user_agent: str,
                 sleep=time.sleep):
        self.fetcher, self.cache, self.settings, self.user_agent = fetcher, cache, settings, user_agent
        self.sleep = sleep

    def admit(self, url: str) -> None:
        """Return when ``url`` may be fetched now (after waiting out its host's Crawl-delay);
        RobotsRefused naming the rule otherwise. Called for every hop of a redirect chain."""
        try:
            robots = self.robots_for(url)
            decision = decide(robots, url, self.user_agent)
            if not decision.allowed:
                raise RobotsRefused(url, decision.reason, transient=decision.transient)
            if decision.crawl_delay:
                self._keep_delay(url, robots.origin, decision.crawl_delay)
        except redis.RedisError as exc:
            raise RobotsRefused(url, f"robots.txt cache (Redis) failed: {exc}; not fetched", transient=True) from None

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None, *, accept: str) -> FetchResult:
        """The fetcher's GET of ``url``, each URL of its redirect chain admitted first. The first
        is admitted before the fetch's own deadline starts: a Crawl-delay wait is not fetch time."""
        self.admit(url)
        return self.fetcher.get(url, etag, last_modified, accept=accept,
                                before_hop=lambda hop: None if hop == url else self.admit(hop))

    def robots_for(self, url: str) -> RobotsFile:
        origin = origin_of(url)
        robots = self.cache.get(origin)
        if robots is None:
            robots = self._fetch(origin, url)
            self.cache.put(robots)
        return robots

    def _fetch(self, origin: str, url: str) -> RobotsFile:
        ttl, error_ttl = self.settings.cache_seconds, self.settings.error_cache_seconds
        try:
            # Redirects are followed (RFC 9309: at least five) by the fetcher, each hop guarded.
            result = self.fetcher.get(robots_url(url), accept=ROBOTS_ACCEPT)
        except FetchError as exc:
            return from_response(origin, exc.status, "", time.time(), ttl, error_ttl, error=exc.reason)
        body = result.content.decode("utf-8", errors="replace") if result.status == 200 else ""
        log.info("robots.txt of %s: HTTP %s, %d bytes", origin, result.status, len(result.content))
        return from_response(origin, result.status, body, time.time(), ttl, error_ttl)

    def _keep_delay(self, url: str, origin: str, delay: float) -> None:
        if delay > self.settings.max_crawl_delay:
            raise RobotsRefused(url, f"{origin}/robots.txt asks a Crawl-delay of {delay:g} s, more than "
                                     f"NEWSWORKER_ROBOTS__MAX_CRAWL_DELAY ({self.settings.max_crawl_delay:g} s): not fetched")
        wait = self.cache.reserve(host_of(url), delay, self.settings.max_wait_seconds)
        if wait < 0:
            raise RobotsRefused(url, f"{host_of(url)} is booked {-wait:.0f} s ahead by its Crawl-delay of {delay:g} s, more than "
                                     f"NEWSWORKER_ROBOTS__MAX_WAIT_SECONDS ({self.settings.max_wait_seconds:g} s): "
                                     "not fetched now, try again later", transient=True)
        if wait > 0:
            self.sleep(wait)
