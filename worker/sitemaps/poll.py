"""Polling one registered sitemap: fetch (conditional GET) -> parse -> children -> new or changed
<url>s -> claim in the item ledger -> page requests to a sink -> state.

A sitemap is polled as a feed is: the same state (ETag / Last-Modified, backoff, errors, 410
retires it), the same ledger (a page a feed brought is not fetched again). The pages go to the
sink in chunks: indexed here, or sent to the workers as ingest_urls tasks (worker.tasks).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from ..feeds import schedule
from ..feeds.errors import FetchError
from ..feeds.http import FetchResult
from ..feeds.state import FeedState, FeedStateStore
from ..models import BatchReport, utc_now
from ..pages.ledger import PageLedger
from ..pages.requests import PageRequest
from ..robots.gate import RobotsGate
from ..robots.rules import sitemaps_of
from ..settings import SitemapSettings
from .parse import SitemapError, SitemapUrl, parse_sitemap
from .registry import SitemapConfig
from .select import candidates

log = logging.getLogger(__name__)

SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, application/gzip;q=0.8, */*;q=0.5"

PageSink = Callable[[list[PageRequest]], BatchReport]

# In process a poll's pages are fetched and indexed while the CLI waits: it listens here
# (sitemap URL, pages done, pages taken) to draw a progress bar.
page_progress: ContextVar[Callable[[str, int, int], None] | None] = ContextVar("page_progress", default=None)


class SitemapState(FeedState):
    # An index's (or robots.txt's) child sitemaps as last read: a 304 still polls them.
    children: list[str] = []
    # Pages left for the next poll (by the cap, or given back after a failure worth retrying):
    # it reads the sitemaps whole again.
    deferred: int = 0


class SitemapPollReport(BaseModel):
    sitemap_url: str
    status: Literal["ok", "not_modified", "error", "gone", "retired"]
    http_status: int | None = None
    sitemaps_read: int = 0
    urls: int = 0
    new_urls: int = 0
    seen_before: int = 0
    deferred: int = 0
    report: BatchReport = BatchReport()
    problem: str | None = None
    error: str | None = None
    transient: bool = False


@dataclass
class Listing:
    """What the registered URL led to this poll: <url>s, child sitemaps, and what to note."""

    result: FetchResult
    urls: list[SitemapUrl]
    children: list[str]
    notes: list[str]


@dataclass
class SitemapPoller:
    # Sitemaps and their pages are fetched through the gate (robots.txt, Crawl-delay).
    gate: RobotsGate
    states: FeedStateStore
    settings: SitemapSettings
    max_backoff_minutes: int
    max_bytes: int
    sink: PageSink
    urls_per_task: int = 20
    lease_seconds: int = 900

    def poll(self, config: SitemapConfig, now: datetime | None = None) -> SitemapPollReport:
        now = now or utc_now()
        state = self.states.get(config.url, SitemapState)
        if state.retired:
            return SitemapPollReport(sitemap_url=config.url, status="retired", error=state.last_error)
        try:
            listing = self._robots(config) if config.is_robots else self._top(config, state)
        except FetchError as exc:
            return self._failed(state, config, now, exc.reason, exc.status, transient=exc.transient)
        except SitemapError as exc:
            return self._failed(state, config, now, exc.reason, 200)
        interval = timedelta(minutes=config.interval_minutes)
        if listing.result.status == 410:
            self.states.put(schedule.after_gone(state, now))
            return SitemapPollReport(sitemap_url=config.url, status="gone", http_status=410, error="410 Gone: sitemap retired")
        if listing.result.status not in (200, 304):
            return self._failed(state, config, now, schedule.http_error_reason(listing.result.status), listing.result.status,
                                listing.result.retry_after)
        urls, notes, read = list(listing.urls), list(listing.notes), 1
        for child_urls, child_notes, fetched in self._children(listing.children, force=state.deferred > 0):
            urls += child_urls
            notes += child_notes
            read += fetched
        report = self._take(config, urls, notes)
        problem = "; ".join(notes) or None
        # This poll read everything it owed; pages given back while it ran (in process) are owed anew.
        owed = self.states.get(config.url, SitemapState).deferred - state.deferred
        state = state.model_copy(update={"children": listing.children, "deferred": report.deferred + max(owed, 0)})
        if listing.result.not_modified and not listing.children:
            self.states.put(schedule.after_not_modified(state, listing.result, now, interval))
            return report.model_copy(update={"status": "not_modified", "http_status": 304})
        self.states.put(schedule.after_fetch_ok(state, listing.result, now, interval, report.new_urls, problem, None))
        return report.model_copy(update={"http_status": listing.result.status, "sitemaps_read": read, "problem": problem})

    def _top(self, config: SitemapConfig, state: SitemapState) -> Listing:
        result = self._get(config.url, state, force=state.deferred > 0)
        if result.status == 304:
            return Listing(result, [], state.children, [])
        if result.status != 200:
            return Listing(result, [], [], [])
        parsed = parse_sitemap(config.url, result.content, self.max_bytes)
        notes = [parsed.problem] if parsed.problem else []
        return Listing(result, parsed.urls, [s.loc for s in parsed.sitemaps], notes)

    def _get(self, url: str, state: SitemapState, force: bool) -> FetchResult:
        """A sitemap, robots.txt kept as for pages; conditional unless ``force`` (the last poll
        left pages for this one: the sitemap is read whole again)."""
        if force:
            return self.gate.get(url, accept=SITEMAP_ACCEPT)
        return self.gate.get(url, state.etag, state.last_modified, accept=SITEMAP_ACCEPT)

    def _robots(self, config: SitemapConfig) -> Listing:
        robots = self.gate.robots_for(config.url)  # the robots cache's copy, with its expiry
        if robots.verdict == "disallow_all":
            raise FetchError(config.url, f"robots.txt could not be read ({robots.why})", transient=True)
        children = sitemaps_of(robots)
        notes = [] if children else ["robots.txt names no sitemap (no Sitemap: lines)"]
        return Listing(FetchResult(url=config.url, final_url=config.url, status=200), [], children, notes)

    def _children(self, children: list[str], force: bool):
        """Each child sitemap's <url>s (an index inside an index is followed), at most
        NEWSWORKER_SITEMAPS__MAX_CHILDREN per poll; a child's fault is its own note."""
        queue, seen = deque(children), set()
        while queue:
            url = queue.popleft()
            if url in seen:
                continue
            if len(seen) >= self.settings.max_children:
                yield [], [f"{len(queue) + 1} child sitemaps beyond NEWSWORKER_SITEMAPS__MAX_CHILDREN "
                           f"({self.settings.max_children}) not read"], False
                return
            seen.add(url)
            urls, nested, notes = self._child(url, force)
            queue.extend(nested)
            yield urls, notes, True

    def _child(self, url: str, force: bool) -> tuple[list[SitemapUrl], list[str], list[str]]:
        state = self.states.get(url, SitemapState)
        now = utc_now()
        hour = timedelta(hours=1)
        try:
            result = self._get(url, state, force)
            if result.status == 304:
                self.states.put(schedule.after_not_modified(state, result, now, hour))
                return [], state.children, []
            if result.status != 200:
                raise FetchError(url, schedule.http_error_reason(result.status), status=result.status)
            parsed = parse_sitemap(url, result.content, self.max_bytes)
        except (FetchError, SitemapError) as exc:
            self.states.put(schedule.after_error(state, exc.reason, now, hour, hour))
            return [], [], [f"child sitemap {url}: {exc.reason}"]
        nested = [s.loc for s in parsed.sitemaps]
        self.states.put(schedule.after_fetch_ok(state.model_copy(update={"children": nested}), result, now, hour,
                                                len(parsed.urls), parsed.problem, None))
        return parsed.urls, nested, [f"child sitemap {url}: {parsed.problem}"] if parsed.problem else []

    def _take(self, config: SitemapConfig, urls: list[SitemapUrl], notes: list[str]) -> SitemapPollReport:
        """Claim the new or changed pages, newest first, up to the cap, and hand them to the sink."""
        ledger = PageLedger(self.states)
        picks, unchanged = candidates(urls, ledger.first_seen)
        fresh = [p for p in picks if not self.states.is_taken(p.keys)]
        cap = self.settings.max_urls_per_poll
        chosen, deferred = fresh[:cap], len(fresh[cap:])
        taken = self.states.claim_many([p.keys for p in chosen], config.url, self.lease_seconds)
        requests = [PageRequest(url=p.entry.loc, title=p.entry.news_title, source=p.entry.news_source or config.name,
                                published=p.entry.news_published, keys=p.keys, listed_in=config.url)
                    for p, ok in zip(chosen, taken) if ok]
        report = BatchReport()
        listener = page_progress.get()
        for start in range(0, len(requests), self.urls_per_task):
            report = report.merge(self.sink(requests[start : start + self.urls_per_task]))
            if listener is not None:
                listener(config.url, min(start + self.urls_per_task, len(requests)), len(requests))
        if deferred:
            notes.append(f"{deferred} new or changed pages beyond NEWSWORKER_SITEMAPS__MAX_URLS_PER_POLL ({cap}) "
                         "left for the next poll")
        return SitemapPollReport(
            sitemap_url=config.url, status="ok", urls=len(urls), new_urls=len(requests),
            seen_before=len(urls) - len(requests) - deferred, deferred=deferred, report=report)

    def _failed(self, state: SitemapState, config: SitemapConfig, now: datetime, reason: str, status: int | None,
                retry_after: float | None = None, transient: bool = False) -> SitemapPollReport:
        interval = timedelta(minutes=config.interval_minutes)
        cap = timedelta(minutes=self.max_backoff_minutes)
        self.states.put(schedule.after_error(state, reason, now, interval, cap, status, retry_after))
        log.warning("sitemap %s: %s", config.url, reason)
        return SitemapPollReport(sitemap_url=config.url, status="error", http_status=status, error=reason, transient=transient)
