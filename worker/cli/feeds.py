"""`newsworker feeds add|list|remove|poll`."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from ..celery_app import create_app
from ..feeds.discover import discover_feeds, looks_like_html
from ..feeds.errors import FeedParseError, FetchError
from ..feeds.parse import parse_feed
from ..feeds.poll import PollReport
from ..feeds.registry import FeedConfig
from ..feeds.state import FeedState
from ..models import utc_now
from ..tasks import POLL_FEED
from .common import Context, emit_json, guard, pass_context


@click.group()
def feeds() -> None:
    """Manage and poll the feeds in the registry (NEWSWORKER_FEEDS__REGISTRY, default config/feeds.toml)."""


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="Source name for the feed's articles (default: the feed's title).")
@click.option("--interval", "interval", type=click.IntRange(1), help="Minutes between polls (default from settings).")
@click.option("--full-article/--summary-only", default=False, show_default=True,
              help="Fetch the article page when an item carries only a summary or only a headline.")
@pass_context
@guard
def add(ctx: Context, url: str, name: str | None, interval: int | None, full_article: bool) -> None:
    """Add a feed by its URL, or by a site page that links to its feed (autodiscovery)."""
    runtime = ctx.runtime
    feed_url, parsed = _resolve_feed(runtime.fetcher, url)
    feed = FeedConfig(
        url=feed_url,
        name=name or parsed.title,
        interval_minutes=interval or ctx.settings.feeds.default_interval_minutes,
        full_article=full_article,
    )
    new = runtime.registry.add(feed)
    found = f" (discovered from {url})" if feed_url != url else ""
    click.echo(f"{'Added' if new else 'Updated'} {feed.url}{found}: {feed.name or 'untitled'}, "
               f"{len(parsed.items)} items now, polled every {feed.interval_minutes} min")


def _resolve_feed(fetcher, url: str):
    """The feed at ``url``, or the first feed a page at ``url`` links to."""
    result = fetcher.get(url, allow_file=True)  # typed by the operator
    if result.status != 200:
        raise FetchError(url, f"HTTP {result.status}", status=result.status)
    if looks_like_html(result.content, result.content_type):
        candidates = discover_feeds(result.final_url, result.content)
        if not candidates:
            raise FeedParseError(url, "the page declares no feed (<link rel=\"alternate\" type=\"application/rss+xml\" ...>)")
        feed_url = candidates[0]
        feed = fetcher.get(feed_url)
        if feed.status != 200:
            raise FetchError(feed_url, f"HTTP {feed.status}", status=feed.status)
        return feed_url, parse_feed(feed_url, feed.content, feed.content_type)
    return (result.moved_to or url), parse_feed(url, result.content, result.content_type)


def list_command(kind: str, registry_of, registry_path_of, model=FeedState, counted: str = "ITEMS") -> click.Command:
    """`<kind>s list [--json]`: the registered entries with their polling state."""

    @click.command(name="list", help=f"The registered {kind}s with their polling state.")
    @click.option("--json", "as_json", is_flag=True, help=f"Print {kind}s and their state as JSON.")
    @pass_context
    @guard
    def list_(ctx: Context, as_json: bool) -> None:
        runtime = ctx.runtime
        states = runtime.feed_states.all(model)
        rows = [(f, states.get(f.url)) for f in registry_of(runtime).feeds()]
        if as_json:
            emit_json([{**f.model_dump(mode="json"), "state": s.model_dump(mode="json") if s else None} for f, s in rows])
            return
        if not rows:
            click.echo(f"No {kind}s in {registry_path_of(ctx.settings)}; add one with `newsworker {kind}s add URL`.")
            return
        header = (kind.upper(), "EVERY", "LAST", "LAST SUCCESS", "ERRORS", "NEXT POLL", counted, "NOTE")
        echo_table(header, [state_row(f, s) for f, s in rows])

    return list_


feeds.add_command(list_command("feed", lambda runtime: runtime.registry, lambda settings: settings.feeds.registry))


def echo_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell; the last (a note) left as long as it is."""
    table = [header, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header) - 1)]
    for r in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])


def state_row(feed, state) -> tuple[str, ...]:
    """One registered feed (or sitemap) and its polling state, as table cells."""

    def when(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if value else "-"

    if state is None:
        return (feed.url, f"{feed.interval_minutes}m", "-", "never", "0", "due", "0", "")
    note = "RETIRED: " if state.retired else ""
    note += state.last_error or state.last_problem or ""
    nxt = "due" if state.next_poll is None or state.next_poll <= utc_now() else when(state.next_poll)
    return (feed.url, f"{feed.interval_minutes}m", str(state.last_status or "-"), when(state.last_success),
            str(state.consecutive_errors), "-" if state.retired else nxt, str(state.items_seen), note)


def remove_command(kind: str, registry_of, registry_path_of) -> click.Command:
    """`<kind>s remove URL`: out of the registry and its state forgotten (its articles stay)."""

    @click.command(name="remove", help=f"Remove a {kind} from the registry (its articles stay in the store).")
    @click.argument("url")
    @pass_context
    @guard
    def remove(ctx: Context, url: str) -> None:
        if not registry_of(ctx.runtime).remove(url):
            raise click.ClickException(f"{url} is not in the {kind} registry {registry_path_of(ctx.settings)}")
        ctx.runtime.feed_states.forget(url)
        click.echo(f"Removed {url}")

    return remove


feeds.add_command(remove_command("feed", lambda runtime: runtime.registry, lambda settings: settings.feeds.registry))


def poll_options(kind: str):
    """The options of `<kind>s poll`."""
    options = [
        click.argument("urls", nargs=-1),
        click.option("--all", "poll_all", is_flag=True, help=f"Poll every {kind} now, due or not."),
        click.option("--json", "as_json", is_flag=True, help="Print the poll reports as JSON."),
        click.option("--timeout", default=600.0, show_default=True, help="With a broker: seconds to wait for the polls."),
        pass_context,
        guard,
    ]

    def decorate(func):
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


@feeds.command()
@poll_options("feed")
def poll(ctx: Context, urls: tuple[str, ...], poll_all: bool, as_json: bool, timeout: float) -> None:
    """Poll feeds now: the URLs given, every feed with --all, else the feeds that are due.

    Every entry is reported: new (indexed, already present or failed, with the reason), seen
    in an earlier poll, or skipped with its reason (an entry with nothing in it, one the feed
    lists twice, one a twin feed brought first).
    """
    registered = {f.url: f for f in ctx.runtime.registry.feeds()}
    reports = poll_now(ctx, POLL_FEED, PollReport, "feed", registered, urls, poll_all, timeout)
    if not reports:
        return
    echo_polls(reports, as_json, lambda r: [_poll_line(r), *(f"  skipped: {s.origin}: {s.reason}" for s in r.skipped)])


def echo_polls(reports: list, as_json: bool, lines) -> None:
    """Poll reports as JSON, or each as ``lines(report)`` and its failures; exit 1 when every poll failed."""
    if as_json:
        emit_json([r.model_dump(mode="json") for r in reports])
    else:
        for report in reports:
            first, *rest = lines(report)
            click.echo(first)
            for failure in report.report.failed:
                click.echo(f"  failed: {failure.line()}")
            for line in rest:
                click.echo(line)
    if reports and all(r.status == "error" for r in reports):
        sys.exit(1)


def poll_now(ctx: Context, task_name: str, model, kind: str, registered: dict, urls: tuple[str, ...], poll_all: bool,
             timeout: float) -> list:
    """Run the poll task (in process, or through the broker, waiting) for the URLs given, all
    registered with ``poll_all``, else those due; the reports, as ``model``s (none: said why)."""
    unknown = [u for u in urls if u not in registered]
    if unknown:
        raise click.UsageError(f"not in the {kind} registry: {', '.join(unknown)} (add with `newsworker {kind}s add`)")
    chosen = list(urls) or (list(registered) if poll_all else due_now(ctx.runtime, registered))
    if not chosen:
        click.echo(f"No {kind}s are due." if registered else f"No {kind}s registered.")
        return []
    task = create_app(ctx.local_settings).tasks[task_name]
    if ctx.settings.eager:
        click.echo(f"Polling {len(chosen)} {kind}s in process (no broker configured).", err=True)
        return [model.model_validate(task.apply(args=[u], throw=True).get()) for u in chosen]
    click.echo(f"Enqueued {len(chosen)} {kind} polls on {ctx.mode()}; waiting.", err=True)
    results = [task.apply_async(args=[u]) for u in chosen]
    return [model.model_validate(r.get(timeout=timeout)) for r in results]


def due_now(runtime, registered: dict) -> list[str]:
    """Of the registered feeds (or sitemaps), the URLs due now."""
    states = runtime.feed_states.all()
    now = utc_now()
    return [url for url in registered if url not in states or states[url].is_due(now)]


def _poll_line(r: PollReport) -> str:
    head = f"{r.feed_url}: {r.status}" + (f" (HTTP {r.http_status})" if r.http_status else "")
    if r.moved_to:
        head += f", moved permanently to {r.moved_to}"
    if r.status == "ok" and r.new_items and not r.report.total:
        head += f", {r.items} items, {r.new_items} new: queued for the ingest workers"
    elif r.status == "ok":
        b = r.report
        skipped = f", {len(r.skipped)} skipped" if r.skipped else ""
        head += (f", {r.items} items, {r.new_items} new{skipped}: {len(b.indexed)} indexed, "
                 f"{len(b.duplicates)} already present, {len(b.failed)} failed")
    return with_notes(head, r.error, r.problem)


def with_notes(line: str, error: str | None, problem: str | None) -> str:
    """A poll's line with its error and its note, when it has them."""
    return line + (f": {error}" if error else "") + (f" [note: {problem}]" if problem else "")
