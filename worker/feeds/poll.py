"""Polling one feed: fetch -> parse -> new items -> (full article) -> ingest -> state.

Orchestration over injected parts (fetcher, state store, registry, article store,
extractor); the Celery task and the CLI call ``poll_feed``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel

from ..errors import InputError, TransientStoreError
from ..extract import Extractor
from ..ingest import ingest_documents
from ..models import BatchReport, Failure, RawDocument, utc_now
from ..normalize.identity import canonical_url, content_hash
from ..settings import FeedSettings
from ..sources.decode import decode_text
from ..sources.html import html_to_document
from ..store import ArticleStore
from . import schedule
from .errors import FeedParseError, FetchError
from .http import PAGE_ACCEPT, Fetcher
from .parse import FeedItem, ParsedFeed, parse_feed
from .registry import FeedConfig, Registry
from .state import FeedState, FeedStateStore

log = logging.getLogger(__name__)

PollStatus = Literal["ok", "not_modified", "error", "gone", "retired"]


class PollReport(BaseModel):
    feed_url: str
    status: PollStatus
    http_status: int | None = None
    items: int = 0
    new_items: int = 0
    report: BatchReport = BatchReport()
    problem: str | None = None
    error: str | None = None
    moved_to: str | None = None
    transient: bool = False


@dataclass
class FeedPoller:
    fetcher: Fetcher
    states: FeedStateStore
    registry: Registry
    store: ArticleStore
    extractor: Extractor
    settings: FeedSettings

    def poll(self, feed: FeedConfig, now: datetime | None = None) -> PollReport:
        now = now or utc_now()
        state = self.states.get(feed.url)
        if state.retired:
            return PollReport(feed_url=feed.url, status="retired", error=state.last_error)
        interval = timedelta(minutes=feed.interval_minutes)
        try:
            result = self.fetcher.get(feed.url, state.etag, state.last_modified)
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
        try:
            parsed = parse_feed(feed.url, result.content, result.content_type)
        except FeedParseError as exc:
            return self._failed(state, feed, now, exc.reason, 200)
        report, new, notes = self._ingest(feed, parsed)
        problem = "; ".join(filter(None, [parsed.problem, *notes])) or None
        self.states.put(schedule.after_fetch_ok(state, result, now, interval, new, problem, parsed.title))
        return PollReport(
            feed_url=feed.url, status="ok", http_status=200, items=len(parsed.items), new_items=new,
            report=report, problem=problem, moved_to=result.moved_to,
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

    def _ingest(self, feed: FeedConfig, parsed: ParsedFeed) -> tuple[BatchReport, int, list[str]]:
        claimed: list[list[str]] = []
        documents: list[RawDocument | Failure] = []
        notes: list[str] = []
        for item in parsed.items:
            keys = item_keys(feed.url, item)
            if not self.states.claim(keys, feed.url, self.settings.item_lease_seconds):
                continue
            claimed.append(keys)
            documents.append(self._document(feed, parsed, item, notes))
        if not claimed:
            return BatchReport(), 0, notes
        try:
            report = ingest_documents(documents, self.store, self.extractor)
        except TransientStoreError:
            for keys in claimed:  # not indexed: let the retry (or next poll) take them again
                self.states.release(keys)
            raise
        for keys in claimed:
            self.states.complete(keys)
        return report, len(claimed), notes

    def _document(self, feed: FeedConfig, parsed: ParsedFeed, item: FeedItem, notes: list[str]) -> RawDocument | Failure:
        origin = f"{feed.url}#{item.entry_id or item.link or item.title or '?'}"
        text, standfirst = item.text, item.summary if item.content and item.summary != item.content else None
        if feed.full_article and len(text) < self.settings.full_text_min_chars and item.link:
            try:
                text, standfirst = self._full_text(item.link), item.summary or None
            except (FetchError, InputError) as exc:
                notes.append(f"full article fetch failed for {item.link} ({exc}); used the feed summary")
        if not text.strip():
            return Failure(origin=origin, reason="feed item has no text (no content or summary)", stage="read")
        return RawDocument(
            kind="feed", origin=origin, text=text, title=item.title, standfirst=standfirst, url=item.link,
            source=feed.name or parsed.title, feed_url=feed.url, published=item.published, authors=item.authors,
        )

    def _full_text(self, link: str) -> str:
        if urlsplit(link).scheme not in ("http", "https"):
            raise FetchError(link, "only http and https article pages are fetched")
        result = self.fetcher.get(link, accept=PAGE_ACCEPT)
        if result.status != 200:
            raise FetchError(link, f"HTTP {result.status}", status=result.status)
        page = html_to_document(link, decode_text(link, result.content, html=True), url=result.final_url)
        return page.text


def item_keys(feed_url: str, item: FeedItem) -> list[str]:
    """Keys an item is known by: its id (within its feed), its link, its content."""
    keys = []
    if item.entry_id:
        keys.append(f"id:{feed_url}:{item.entry_id}")
    if item.link:
        keys.append(f"link:{canonical_url(item.link) or item.link}")
    if item.text or item.title:
        keys.append(f"hash:{content_hash(item.title or '', item.text)}")
    return keys
