"""Polling one feed: fetch -> parse -> new items -> (full article) -> ingest -> state.

Orchestration over injected parts (fetcher, state store, registry, and a sink that
indexes or queues new items); the Celery poll tasks call ``FeedPoller.poll``.
"""

from __future__ import annotations

import hashlib
import time
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel

from ..errors import InputError
from ..extract import Extractor
from ..ingest import ingest_documents
from ..models import BatchReport, Failure, RawDocument, utc_now
from ..normalize.identity import content_hash, item_url
from ..pages.fetch import PageReader
from ..pages.ledger import PageLedger
from ..pages.requests import PageRequest
from ..settings import FeedSettings
from ..store import ArticleStore
from . import schedule
from .errors import FeedParseError, FetchError
from .http import Fetcher
from .parse import FeedItem, ParsedFeed, parse_feed
from .prefilter import drop_seen, id_key, link_key
from . import skips
from .registry import FeedConfig, Registry
from .skips import Skipped
from .state import FeedState, FeedStateStore

log = logging.getLogger(__name__)

PollStatus = Literal["ok", "not_modified", "error", "gone", "retired"]


def documents_to_json(documents: list[RawDocument | Failure]) -> list[dict]:
    return [{"failure" if isinstance(d, Failure) else "document": d.model_dump(mode="json")} for d in documents]


def documents_from_json(data: list[dict]) -> list[RawDocument | Failure]:
    return [Failure.model_validate(d["failure"]) if "failure" in d else RawDocument.model_validate(d["document"]) for d in data]


class PollReport(BaseModel):
    feed_url: str
    status: PollStatus
    http_status: int | None = None
    items: int = 0
    new_items: int = 0
    # Every entry is new, seen before (in an earlier poll), or skipped with its reason.
    seen_before: int = 0
    skipped: list[Skipped] = []
    report: BatchReport = BatchReport()
    problem: str | None = None
    error: str | None = None
    moved_to: str | None = None
    transient: bool = False


ItemSink = Callable[[list[RawDocument | Failure], list[list[str]]], BatchReport]


class IndexHere:
    """Index a poll's new items in this process, then mark them done in the ledger."""

    def __init__(self, states: FeedStateStore, store: ArticleStore, extractor: Extractor):
        self.states, self.store, self.extractor = states, store, extractor

    def __call__(self, documents: list[RawDocument | Failure], claimed: list[list[str]]) -> BatchReport:
        return index_items(documents, claimed, self.states, self.store, self.extractor)


def index_items(documents: list[RawDocument | Failure], claimed: list[list[str]], states: FeedStateStore,
                store: ArticleStore, extractor: Extractor) -> BatchReport:
    """One batch of feed items into the store; the ledger says done only once it is indexed.

    If the store fails, the claims stay pending: a retry of the same batch completes them,
    and if none comes, the lease runs out and a later poll takes the items again.
    """
    report = ingest_documents(documents, store, extractor)
    states.complete_many(claimed)
    for feed_url in {d.feed_url for d in documents if isinstance(d, RawDocument) and d.feed_url}:
        # Known by URL from now on: a sitemap listing the same page does not fetch it again.
        PageLedger(states).note_seen([d.url for d in documents if isinstance(d, RawDocument) and d.feed_url == feed_url],
                                     feed_url)
    return report


@dataclass
class FeedPoller:
    fetcher: Fetcher
    states: FeedStateStore
    registry: Registry
    settings: FeedSettings
    # Where new items go: IndexHere, or a queue for ingest workers (see worker.tasks).
    sink: ItemSink
    # New items per sink call (NEWSWORKER_DOCUMENTS_PER_TASK): a poll of 10,000 new items is
    # 100 bounded batches, each marked done in the ledger when it is indexed.
    batch_size: int = 100
    # Article pages of full_article feeds, read as `ingest URL` reads them (robots.txt kept);
    # the feed itself is not a page.
    pages: PageReader | None = None

    def poll(self, feed: FeedConfig, now: datetime | None = None) -> PollReport:
        now = now or utc_now()
        state = self.states.get(feed.url)
        if state.retired:
            return PollReport(feed_url=feed.url, status="retired", error=state.last_error)
        interval = timedelta(minutes=feed.interval_minutes)
        try:
            result = self.fetcher.get(feed.url, state.etag, state.last_modified, allow_file=True)
        except FetchError as exc:
            return self._failed(state, feed, now, exc.reason, exc.status, transient=exc.transient)
        if result.moved_to:
            feed = self._move(feed, result.moved_to)
            state = self.states.get(feed.url)
        if result.not_modified:
            self.states.put(schedule.after_not_modified(state, result, now, interval))
            return PollReport(feed_url=feed.url, status="not_modified", http_status=304, moved_to=result.moved_to)
        if result.status == 410:
            self.states.put(schedule.after_gone(state, now))
            return PollReport(feed_url=feed.url, status="gone", http_status=410, error="410 Gone: feed retired")
        if result.status != 200:
            return self._failed(state, feed, now, schedule.http_error_reason(result.status), result.status, result.retry_after)
        body_hash = hashlib.sha256(result.content).hexdigest()
        if body_hash == state.body_hash:
            # Same bytes as last time from a server that ignores conditional GET: nothing new.
            self.states.put(schedule.after_not_modified(state, result, now, interval))
            return PollReport(feed_url=feed.url, status="not_modified", http_status=200, moved_to=result.moved_to)
        pre = drop_seen(result.content, feed.url, self.states.is_taken, result.base)
        if pre is not None and pre.data is None:  # every item seen before: nothing to parse
            self.states.put(schedule.after_fetch_ok(state, result, now, interval, 0, None, pre.title, body_hash))
            return PollReport(feed_url=feed.url, status="ok", http_status=200, items=pre.total, seen_before=pre.total,
                              moved_to=result.moved_to)
        try:
            parsed = parse_feed(feed.url, pre.data if pre else result.content, result.content_type, result.base)
        except FeedParseError as exc:
            return self._failed(state, feed, now, exc.reason, 200)
        claimed, documents, notes, skipped = self._new_items(feed, parsed)
        report = BatchReport()
        for start in range(0, len(claimed), self.batch_size):
            end = start + self.batch_size
            report = report.merge(self.sink(documents[start:end], claimed[start:end]))
        problem = "; ".join(filter(None, [parsed.problem, *notes, skips.summary(skipped)])) or None
        self.states.put(schedule.after_fetch_ok(state, result, now, interval, len(claimed), problem, parsed.title, body_hash))
        items = pre.total if pre else len(parsed.items) + len(parsed.dropped)
        return PollReport(
            feed_url=feed.url, status="ok", http_status=200, items=items, new_items=len(claimed),
            seen_before=items - len(claimed) - len(skipped), skipped=skipped, report=report, problem=problem,
            moved_to=result.moved_to,
        )

    def _failed(self, state: FeedState, feed: FeedConfig, now: datetime, reason: str, status: int | None,
                retry_after: float | None = None, transient: bool = False) -> PollReport:
        interval = timedelta(minutes=feed.interval_minutes)
        cap = timedelta(minutes=self.settings.max_backoff_minutes)
        self.states.put(schedule.after_error(state, reason, now, interval, cap, status, retry_after))
        log.warning("feed %s: %s", feed.url, reason)
        return PollReport(feed_url=feed.url, status="error", http_status=status, error=reason, transient=transient)

    def _move(self, feed: FeedConfig, new_url: str) -> FeedConfig:
        log.info("feed %s moved permanently to %s", feed.url, new_url)
        self.registry.move(feed.url, new_url)
        self.states.rename(feed.url, new_url)
        return feed.model_copy(update={"url": new_url})

    def _new_items(self, feed: FeedConfig, parsed: ParsedFeed
                   ) -> tuple[list[list[str]], list[RawDocument | Failure], list[str], list[Skipped]]:
        """Claim the items not seen before (one transaction) and turn them into documents; the
        entries left out are named with their reasons."""
        new, skipped = self._claim(feed.url, parsed)
        notes: list[str] = []
        claimed = [keys for _, keys in new]
        # Page fetches share one budget per poll: each has its own deadline, and three slow
        # pages took three minutes; past the budget the feed's summary is used.
        budget = time.monotonic() + self.settings.poll_budget_seconds
        documents = [self._document(feed, parsed, item, notes, budget) for item, _ in new]
        over_budget = sum("poll budget" in n for n in notes)
        notes = [n for n in notes if "poll budget" not in n] + (
            [f"poll budget of {self.settings.poll_budget_seconds:g} s spent (NEWSWORKER_FEEDS__POLL_BUDGET_SECONDS): "
             f"{over_budget} items kept their feed summary"] if over_budget else [])
        return claimed, documents, notes, skipped

    def _claim(self, feed_url: str, parsed: ParsedFeed) -> tuple[list[tuple[FeedItem, list[str]]], list[Skipped]]:
        """The items this poll takes, with their keys, and the entries it skips and why: those
        with nothing in them, those the feed lists twice, those another feed or poll holds."""
        keyed = [item_keys(feed_url, item) for item in parsed.items]
        skipped = [Skipped(origin=f"{feed_url}#entry {n}", reason=why) for n, why in parsed.dropped.items()]
        repeated = skips.repeats(parsed.items, keyed)
        skipped += [Skipped(origin=skips.origin_of(feed_url, parsed.items[i]), reason=why) for i, why in repeated.items()]
        fresh = [(item, keys) for i, (item, keys) in enumerate(zip(parsed.items, keyed)) if i not in repeated]
        taken = self.states.claim_many([keys for _, keys in fresh], feed_url, self.settings.item_lease_seconds)
        for (item, keys), ok in zip(fresh, taken):
            if not ok and (why := skips.refusal(feed_url, self.states.holders(keys))):
                skipped.append(Skipped(origin=skips.origin_of(feed_url, item), reason=why))
        return [entry for entry, ok in zip(fresh, taken) if ok], skipped

    def _document(self, feed: FeedConfig, parsed: ParsedFeed, item: FeedItem, notes: list[str],
                  budget: float = float("inf")) -> RawDocument | Failure:
        origin = skips.origin_of(feed.url, item)
        text, standfirst = item.text, item.standfirst
        fetched = False
        if feed.full_article and len(text) < self.settings.full_text_min_chars and item.link and time.monotonic() >= budget:
            notes.append("poll budget")
        elif feed.full_article and len(text) < self.settings.full_text_min_chars and item.link:
            try:
                text, standfirst = self._full_text(item.link), item.summary or None
                fetched = True
            except (FetchError, InputError) as exc:
                notes.append(f"full article fetch failed for {item.link} ({exc}); used the feed summary")
        if not text.strip() and not (item.title and item.link):  # with both it is a headline article
            return Failure(origin=origin, reason=_without_text(feed, item), stage="read")
        return RawDocument(
            kind="feed", origin=origin, text=text, title=item.title, standfirst=standfirst, url=item.link,
            source=feed.name or parsed.title, feed_url=feed.url, entry_id=item.entry_id, published=item.published,
            authors=item.authors,
            page_fetched=fetched,
        )

    def _full_text(self, link: str) -> str:
        if urlsplit(link).scheme not in ("http", "https"):
            raise FetchError(link, "only http and https article pages are fetched")
        if self.pages is None:
            raise FetchError(link, "no page reader configured: article pages are not fetched")
        return self.pages.read(PageRequest(url=link)).text


def _without_text(feed: FeedConfig, item: FeedItem) -> str:
    if item.link:
        fetch = "its page could not be fetched" if feed.full_article else "full_article = true would fetch its page"
        return f"feed item has no text and no title, only a link ({fetch})"
    return "feed item has no text and no link, only a title: nothing to read or to point to"


def item_keys(feed_url: str, item: FeedItem) -> list[str]:
    """Keys an item is known by: its id (within its feed), else its link (fragment kept: the
    anchor of a post on a page of many), and its content when it lacks either. Distinct ids are
    distinct items, also when they link one page; an item with its own guid and its own link is
    itself, even when its title and teaser repeat yesterday's ("Daily briefing: ...").

    The content key is the one key across feeds: without a link, the same title and text is
    the same item; with a link (and no id), the same link, title and text, a twin feed's item.
    Two sites giving one text under their own links are two items (near-copies in the store).
    """
    keys = []
    if item.entry_id:
        keys.append(id_key(feed_url, item.entry_id))
    elif item.link:
        keys.append(link_key(feed_url, item.link))
    if (item.text or item.title) and not (item.entry_id and item.link):
        digest = content_hash(item.title or "", item.text)
        keys.append(f"twin:{digest}:{item_url(item.link)}" if item.link else f"hash:{digest}")
    return keys
