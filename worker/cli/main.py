"""`newsworker`: the management commands. Thin: parse options, call the stages, print."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click
from kombu.exceptions import OperationalError as KombuOperationalError
from pydantic import ValidationError

from .. import __version__, logjson
from ..celery_app import create_app
from ..errors import InputError, OutsideRootsError
from ..ingest import prepare
from ..models import Article, BatchReport, Failure, SearchQuery
from ..sources.files import expand_paths, named_roots, read_file
from ..sources.local import inside
from ..sources.metadata import Overrides
from ..tasks import INGEST_URLS
from . import dispatch, render, warcs as warc_files
from .common import Context, emit_json, guard, pass_context
from .deadletters import dead_letters
from .es import es
from .events import events, show_event
from .feeds import feeds
from .kibana import kibana
from .filters import parse_day, parse_figure
from .probe import collect_status, workers_on_queues
from .reindex import reindex
from .sitemaps import sitemaps
from .urls import enqueued_line, gather, split_targets

# Show a progress bar when an ingest has more files than this.
PROGRESS_ABOVE = 5


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsworker")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@pass_context
def cli(ctx: Context, verbose: int) -> None:
    """newsworker: ingest news from files and feeds, extract entities and figures, search them.

    Settings come from NEWSWORKER_* environment variables or .env (see config/settings.md).
    With no NEWSWORKER_BROKER_URL, tasks run in this process and the store is SQLite
    at var/newsworker.db.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    try:
        settings = ctx.settings
    except click.ClickException:  # invalid settings: the command itself reports them
        logjson.configure_root(level, "text", ())
        return
    logjson.configure_root(level, settings.log_format, logjson.secrets_of(settings))


@cli.command()
@click.argument("targets", nargs=-1, metavar="PATH|URL...")
@click.option("--urls", "url_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="File of article URLs, one per line (blank lines and # comments ignored).")
@click.option("--source", help="Outlet name for documents that do not say (a sidecar FILE.meta.json overrides).")
@click.option("--published", help="Publication date for documents that do not say, e.g. 2021-01-15.")
@click.option("--url", help="Article URL, for a single file.")
@click.option("--wait/--no-wait", default=False, help="With a broker: wait for the workers and print the summary.")
@click.option("--timeout", default=3600.0, show_default=True, help="Seconds to wait for workers with --wait.")
@click.option("--worker-grace", default=30.0, show_default=True,
              help="With --wait: seconds to wait for any worker to answer before giving up (the tasks stay queued).")
@click.option("--domain", "domains", multiple=True,
              help="WARC files: only pages of this host and its subdomains (repeatable).")
@click.option("--since", help="WARC files: only pages fetched (WARC-Date) and, when the page says, published on or after this date.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_context
@guard
def ingest(ctx: Context, targets: tuple[str, ...], url_file: Path | None, source, published, url, wait, timeout,
           worker_grace, domains, since, as_json) -> None:
    """Ingest files and folders (.txt, .html, .json, .ndjson, .warc, .warc.gz; folders
    recursively) and article pages by URL (http:// or https:// arguments, or --urls FILE).

    A WARC file (e.g. CommonCrawl's CC-NEWS) is streamed: each HTML page of status 200 becomes
    an article; other records are skipped and counted by reason. An article URL is fetched
    with the feed fetcher's limits and private-address guard, robots.txt and its Crawl-delay
    kept; main text and metadata by trafilatura; the URL after redirects is kept as provenance
    and the page's canonical URL names the article. Prints how many documents were indexed,
    were already present, skipped or failed (with the reason for each, a URL's too). Exits
    non-zero only when nothing at all could be ingested.
    """
    if not targets and not url_file:
        raise click.UsageError("give paths or URLs to ingest, or --urls FILE")
    paths, url_arguments = split_targets(targets)
    urls, refused = gather(url_arguments, url_file)
    settings = ctx.settings
    if settings.eager:
        settings = settings.reading_also(named_roots(paths))
    else:
        _refuse_outside_inbox(paths, settings.inbox_dirs)
    files, missing = expand_paths(paths)
    files, warcs = warc_files.split_warcs(files)
    filters = warc_files.warc_filters(domains, since, warcs)
    if url and (len(files) > 1 or warcs):
        raise click.UsageError("--url names one article; give a single file with it (a WARC file names its pages' URLs)")
    overrides = Overrides(source=source, published=published, url=url).model_dump(exclude_defaults=True)
    app = create_app(settings)
    batches = dispatch.chunks(files, settings.files_per_task)
    url_batches = dispatch.in_chunks(urls, settings.pages.urls_per_task)
    if refused:
        ctx.runtime.store.record_failures(refused)  # as a batch records its own failures
    missing = missing + refused
    report = BatchReport(failed=missing)
    if settings.eager:
        click.echo(f"Running in process: no broker configured (NEWSWORKER_BROKER_URL); store {settings.store}.", err=True)
        with _progress(len(files) + len(urls), "Ingesting") as advance:
            report = report.merge(dispatch.run_in_process(app, batches, overrides, advance))
            report = report.merge(dispatch.run_in_process(app, url_batches, overrides, advance, INGEST_URLS))
        report = report.merge(warc_files.run_in_process(app, warcs, filters)) if warcs else report
    else:
        try:
            dispatch.check_broker(app)
            results = dispatch.enqueue(app, batches, overrides) + dispatch.enqueue(app, url_batches, overrides, INGEST_URLS)
            results += warc_files.enqueue(app, warcs, filters)
        except (KombuOperationalError, OSError) as exc:
            raise click.ClickException(
                f"cannot reach the broker ({ctx.mode()}): {exc}; start it, or unset NEWSWORKER_BROKER_URL to run in process"
            ) from None
        files += warcs
        click.echo(enqueued_line(len(files), len(urls), len(results), ctx.mode()), err=True)
        batches = batches + url_batches
        if not wait:
            _finish_enqueued(results, missing, as_json)
            return
        if results and not _a_worker_answers(app, settings, min(worker_grace, timeout)):
            # Waiting would last the whole --timeout for nothing: say so now.
            _finish_enqueued(results, missing, as_json, exit_code=None)
            raise click.ClickException(
                f"no worker answers on queue {settings.queue}: the {len(results)} tasks wait there until one starts "
                f"(celery -A worker.celery_app worker -Q {settings.queue})")
        if warcs:  # a WARC file's work is its spans' tasks, known once its first task has planned it
            with warc_files.tasks_bar(len(results)) as (advance, grow):
                report = report.merge(dispatch.collect(results, timeout, advance, [1] * len(results), on_handed=grow))
        else:
            with _progress(len(files) + len(urls), "Waiting for workers") as advance:
                report = report.merge(dispatch.collect(results, timeout, advance, [len(b) for b in batches]))
    if as_json:
        emit_json(report.model_dump(mode="json"))
    else:
        click.echo(render.report_summary(report, "in process" if settings.eager else "by workers"))
    if not report.indexed and not report.duplicates:
        sys.exit(1)


def _a_worker_answers(app, settings, grace: float) -> bool:
    """True once a worker on our queues answers; says at once when none does, and gives up
    after ``grace`` seconds (a worker just started needs a few to load its model)."""
    deadline = time.monotonic() + grace
    said = False
    while True:
        if workers_on_queues(app, settings).answering:
            return True
        if time.monotonic() >= deadline:
            return False
        if not said:
            click.echo(f"No worker answers on queue {settings.queue} yet; waiting up to {grace:g} s for one.", err=True)
            said = True
        time.sleep(1.0)


def _refuse_outside_inbox(paths: tuple[Path, ...], roots: list[Path]) -> None:
    """Workers read only their inbox folders: say so now rather than have each file fail there."""
    outside = []
    for path in paths:
        try:
            inside(path, roots)
        except OutsideRootsError:
            outside.append(str(path))
        except InputError:
            pass  # missing or unreadable: reported with the batch, as in process
    if outside:
        raise click.UsageError(
            f"{', '.join(outside)}: outside the inbox folders workers read from "
            f"({', '.join(str(r) for r in roots)}); put the files there, or add their folder to "
            "NEWSWORKER_INBOX_DIRS on the workers and here"
        )


def _finish_enqueued(results, missing: list[Failure], as_json: bool, exit_code: int | None = 1) -> None:
    ids = [r.id for r in results]
    if as_json:
        emit_json({"enqueued": ids, "failed": [f.model_dump(mode="json") for f in missing]})
    else:
        click.echo("\n".join(ids))
        for failure in missing:
            click.echo(f"  failed: {failure.line()}")
    if not ids and exit_code is not None:
        sys.exit(exit_code)


class _progress:
    """A progress bar on stderr for more than a few files; a no-op otherwise."""

    def __init__(self, total: int, label: str):
        self.total, self.label, self.bar = total, label, None

    def __enter__(self):
        if self.total > PROGRESS_ABOVE:
            self.bar = click.progressbar(length=self.total, label=self.label, file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        return self.bar.update if self.bar else (lambda n: None)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)


@cli.command()
@click.argument("query", required=False, default="")
@click.option("--entity", help="Only articles mentioning this entity (canonical name or surface form).")
@click.option("--location", help="Only figures (or events, places) about this location.")
@click.option("--figure", "figure", help="Figure filter within one figure: CATEGORY, CATEGORY>=N, CATEGORY:LOW..HIGH.")
@click.option("--qualifier", type=click.Choice(["exact", "approx", "at_least", "at_most", "range"]))
@click.option("--event-type", type=click.Choice(["troop_level", "troop_level_change", "casualties"]))
@click.option("--source", help="Only this source (outlet).")
@click.option("--since", help="Published on or after this date.")
@click.option("--until", help="Published on or before this date.")
@click.option("--size", default=10, show_default=True, type=click.IntRange(0, 1000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0, 1_000_000_000))
@click.option("--no-facets", is_flag=True, help="Skip facet counts.")
@click.option("--duplicates", "include_duplicates", is_flag=True,
              help="Also list near-copies (wire copies, amp twins); by default each shows once, as its original.")
@click.option("--json", "as_json", is_flag=True, help="Print the SearchResult as JSON.")
@pass_context
@guard
def search(ctx: Context, query, entity, location, figure, qualifier, event_type, source, since, until, size, offset, no_facets,
           include_duplicates, as_json) -> None:
    """Search articles by words and filters, with highlights and facet counts.

    \b
    Examples:
      newsworker search "troop drawdown"
      newsworker search troops --entity Iraq --figure "troops>=2000"
      newsworker search --figure "killed:1000..5000" --since 2021-01-01
    """
    category, low, high = parse_figure(figure) if figure else (None, None, None)
    try:
        request = SearchQuery(
            text=query, entity=entity, location=location, figure_category=category, figure_min=low,
            figure_max=high, qualifier=qualifier, event_type=event_type, source=source,
            published_from=parse_day(since) if since else None,
            published_to=parse_day(until, end_of_day=True) if until else None,
            size=size, offset=offset, facets=not no_facets, include_duplicates=include_duplicates,
        )
    except ValidationError as exc:
        raise click.UsageError("; ".join(e["msg"] for e in exc.errors())) from None
    result = ctx.runtime.store.search(request)
    if as_json:
        emit_json(result.model_dump(mode="json"))
    else:
        click.echo(render.search_result(result, color=sys.stdout.isatty()))


@cli.command()
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True, help="Print the Article as JSON.")
@pass_context
@guard
def show(ctx: Context, article_id: str, as_json: bool) -> None:
    """Show one stored article with its entities and figures."""
    article = ctx.runtime.store.get(article_id)
    if article is None:
        raise click.ClickException(f"no article with id {article_id!r} in the {ctx.settings.store} store")
    click.echo(article.model_dump_json(indent=2) if as_json else render.article(article))


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--source", help="Outlet name, if the file does not say.")
@click.option("--published", help="Publication date, if the file does not say.")
@click.option("--json", "as_json", is_flag=True, help="Print the Article as JSON (a list if the file holds several).")
@pass_context
@guard
def extract(ctx: Context, file: Path, source, published, as_json: bool) -> None:
    """Run normalize + extract on FILE and print the result; indexes nothing."""
    overrides = Overrides(source=source, published=published)
    results = prepare(read_file(file, overrides, ctx.settings.max_file_bytes, roots=named_roots([file])), ctx.runtime.extractor)
    articles = [r for r in results if isinstance(r, Article)]
    failures = [r for r in results if isinstance(r, Failure)]
    for failure in failures:
        click.echo(f"failed: {failure.line()}", err=True)
    if as_json:
        dumped = [a.model_dump(mode="json") for a in articles]
        emit_json(dumped[0] if len(dumped) == 1 and not failures else dumped)
    else:
        click.echo("\n\n".join(render.article(a) for a in articles))
    if not articles:
        sys.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print status as JSON.")
@pass_context
@guard
def status(ctx: Context, as_json: bool) -> None:
    """Mode in force, queue depths and workers, store contents, feed health, last errors, reindex progress.

    With a broker: waiting messages per queue (Redis LLEN), messages delivered but not yet
    acknowledged, and the workers answering within a second. Last errors: task failures
    and retries on workers, inputs that could not be ingested, feeds failing now. Reindex:
    a run recorded for this store, done/total articles, articles/s and time left while its
    coordinator holds the lock, else stopped (finish it with `reindex --resume`).
    """
    report = collect_status(ctx.settings, ctx.runtime, create_app)
    if as_json:
        emit_json(report.model_dump(mode="json"))
    else:
        click.echo(render.status(ctx.mode(), report))


cli.add_command(es)
cli.add_command(events)
cli.add_command(show_event)
cli.add_command(feeds)
cli.add_command(sitemaps)
cli.add_command(reindex)
cli.add_command(kibana)
cli.add_command(dead_letters)


if __name__ == "__main__":
    cli()
