"""`newsworker sitemaps add|list|remove|poll`."""

from __future__ import annotations

import sys

import click

from ..feeds.errors import FetchError
from ..robots.rules import sitemaps_of
from ..sitemaps.parse import parse_sitemap
from ..sitemaps.poll import SITEMAP_ACCEPT, SitemapPollReport, SitemapState, page_progress
from ..sitemaps.registry import SitemapConfig
from ..tasks import POLL_SITEMAP
from .common import Context, guard, pass_context
from .feeds import echo_polls, list_command, poll_now, poll_options, remove_command, with_notes


@click.group()
def sitemaps() -> None:
    """Manage and poll sitemaps (NEWSWORKER_SITEMAPS__REGISTRY, default config/sitemaps.toml).

    A sitemap, a sitemap index (gzip too), a Google News sitemap (news:title,
    news:publication_date, news:publication/news:name as the source), or a site's robots.txt
    (its Sitemap: lines). Polled on a schedule by beat, like feeds; each poll fetches only the
    pages that are new or changed (lastmod), at most NEWSWORKER_SITEMAPS__MAX_URLS_PER_POLL,
    robots.txt kept, and never a page a feed brought already.
    """


@sitemaps.command("add")
@click.argument("url")
@click.option("--name", help="Source name for pages that do not say (a news sitemap's news:name wins).")
@click.option("--interval", type=click.IntRange(1), help="Minutes between polls (default from settings).")
@pass_context
@guard
def add(ctx: Context, url: str, name: str | None, interval: int | None) -> None:
    """Add a sitemap, sitemap index or robots.txt URL; it is read once now to check it."""
    runtime = ctx.runtime
    config = SitemapConfig(url=url, name=name, interval_minutes=interval or ctx.settings.sitemaps.default_interval_minutes)
    described = _describe(runtime, config)
    click.echo(f"{'Added' if runtime.sitemap_registry.add(config) else 'Updated'} {url}: {described}, "
               f"polled every {config.interval_minutes} min")


def _describe(runtime, config: SitemapConfig) -> str:
    if config.is_robots:
        found = sitemaps_of(runtime.pages.gate.robots_for(config.url))
        return f"robots.txt names {len(found)} sitemaps"
    result = runtime.pages.gate.get(config.url, accept=SITEMAP_ACCEPT)
    if result.status != 200:
        raise FetchError(config.url, f"HTTP {result.status}: not added", status=result.status)
    parsed = parse_sitemap(config.url, result.content, runtime.settings.fetch.max_bytes)
    return f"an index of {len(parsed.sitemaps)} sitemaps" if parsed.kind == "index" else f"{len(parsed.urls)} URLs now"


# Show a progress bar when a poll fetches more pages than this (as `ingest` does for files).
PROGRESS_ABOVE = 5

sitemaps.add_command(list_command("sitemap", lambda runtime: runtime.sitemap_registry,
                                  lambda settings: settings.sitemaps.registry, SitemapState, "PAGES"))
sitemaps.add_command(remove_command("sitemap", lambda runtime: runtime.sitemap_registry,
                                    lambda settings: settings.sitemaps.registry))


@sitemaps.command()
@poll_options("sitemap")
def poll(ctx: Context, urls: tuple[str, ...], poll_all: bool, as_json: bool, timeout: float) -> None:
    """Poll sitemaps now: the URLs given, every sitemap with --all, else those that are due.

    In process the new pages are fetched and indexed here; with a broker they go to the
    workers as ingest_urls tasks and the report says how many were queued.
    """
    registered = {s.url: s for s in ctx.runtime.sitemap_registry.feeds()}
    with _PagesBar() as bar:
        token = page_progress.set(bar)
        try:
            reports = poll_now(ctx, POLL_SITEMAP, SitemapPollReport, "sitemap", registered, urls, poll_all, timeout)
        finally:
            page_progress.reset(token)
    if not reports:
        return
    echo_polls(reports, as_json, lambda r: [_poll_line(r, ctx.settings.eager)])


class _PagesBar:
    """A progress bar on stderr for a poll fetching more than a few pages in process."""

    def __init__(self):
        self.bar, self.url, self.shown = None, None, 0

    def __call__(self, url: str, done: int, total: int) -> None:
        if url != self.url:
            self.__exit__(None, None, None)
            self.url, self.shown = url, 0
            if total > PROGRESS_ABOVE:
                self.bar = click.progressbar(length=total, label=f"Pages of {url}", file=sys.stderr, show_pos=True)
                self.bar.__enter__()
        if self.bar is not None:
            self.bar.update(done - self.shown)
        self.shown = done

    def __enter__(self) -> "_PagesBar":
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
            self.bar = None


def _poll_line(r: SitemapPollReport, here: bool) -> str:
    head = f"{r.sitemap_url}: {r.status}" + (f" (HTTP {r.http_status})" if r.http_status else "")
    if r.status in ("ok", "not_modified"):
        b = r.report
        done = (f"{len(b.indexed)} indexed, {len(b.duplicates)} already present, {len(b.failed)} failed" if here
                else "queued for the workers")
        head += (f", {r.sitemaps_read} sitemaps read, {r.urls} URLs, {r.new_urls} new or changed: {done}; "
                 f"{r.seen_before} seen before, {r.deferred} left for the next poll")
    return with_notes(head, r.error, r.problem)
