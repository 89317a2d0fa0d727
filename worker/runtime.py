"""What a process needs to do work: settings, stores, extractor, fetcher; each made once."""

from __future__ import annotations

from functools import cached_property

from .extract import Extractor, load_model
from .extract.canonical import Canonicalizer
from .feeds.http import Fetcher
from .feeds.poll import FeedPoller, IndexHere, ItemSink
from .feeds.registry import Registry
from .feeds.state import FeedStateStore
from .ingest import IndexPagesHere
from .pages.fetch import PageReader
from .pages.ledger import PageLedger
from .robots.cache import RobotsCache, make_cache
from .robots.gate import RobotsGate
from .settings import Settings
from .sitemaps.poll import PageSink, SitemapPoller
from .sitemaps.registry import SitemapRegistry
from .store import ArticleStore, make_store


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        # With a broker, feed polls hand new items to ingest workers through this sink
        # (set by the Celery app factory); without one they are indexed in the polling process.
        self.queue_sink: ItemSink | None = None
        # The same for a sitemap poll's pages: ingest_urls tasks.
        self.queue_pages: PageSink | None = None

    @cached_property
    def store(self) -> ArticleStore:
        return make_store(self.settings)

    @cached_property
    def extractor(self) -> Extractor:
        canonicalizer = Canonicalizer.from_files(self.settings.aliases_file, self.settings.countries_file)
        return Extractor(load_model(self.settings.spacy_model), canonicalizer=canonicalizer,
                         max_parse_chars=self.settings.max_parse_chars)

    @cached_property
    def fetcher(self) -> Fetcher:
        return Fetcher(self.settings.fetch, self.settings.inbox_dirs)

    @cached_property
    def robots_cache(self) -> RobotsCache:
        return make_cache(self.settings.lock_url)

    @cached_property
    def pages(self) -> PageReader:
        gate = RobotsGate(self.fetcher, self.robots_cache, self.settings.robots, self.settings.fetch.user_agent)
        return PageReader(gate)

    @cached_property
    def feed_states(self) -> FeedStateStore:
        return FeedStateStore(self.settings.feed_state_path, self.settings.mappings_dir)

    @cached_property
    def registry(self) -> Registry:
        return Registry(self.settings.feeds.registry, self.settings.feeds.default_interval_minutes)

    @cached_property
    def poller(self) -> FeedPoller:
        sink = self.queue_sink if self.queue_sink and not self.settings.eager else IndexHere(self.feed_states, self.store, self.extractor)
        return FeedPoller(self.fetcher, self.feed_states, self.registry, self.settings.feeds, sink,
                          self.settings.documents_per_task, self.pages)

    @cached_property
    def sitemap_registry(self) -> SitemapRegistry:
        return SitemapRegistry(self.settings.sitemaps.registry, self.settings.sitemaps.default_interval_minutes)

    @cached_property
    def sitemap_poller(self) -> SitemapPoller:
        settings = self.settings
        sink = self.queue_pages if self.queue_pages and not settings.eager else IndexPagesHere(
            self.pages, self.store, self.extractor, PageLedger(self.feed_states), settings.documents_per_task)
        return SitemapPoller(self.pages.gate, self.feed_states, settings.sitemaps,
                             settings.feeds.max_backoff_minutes, settings.fetch.max_bytes, sink,
                             settings.pages.urls_per_task, settings.feeds.item_lease_seconds)

    def close(self) -> None:
        for name in ("store", "fetcher", "feed_states", "robots_cache"):
            if name in self.__dict__:
                self.__dict__.pop(name).close()
        for name in ("poller", "pages", "sitemap_poller"):
            self.__dict__.pop(name, None)
