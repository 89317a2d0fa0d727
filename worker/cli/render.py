"""Human-readable output for the CLI. Pure: models in, strings out."""

from __future__ import annotations

import re
import textwrap
from datetime import datetime

import click

from ..models import Article, BatchReport, EventRecord, Figure, SearchResult
from ..rollup import record_time
from ..status import FeedHealth, FeedsStatus, Status

_EM = re.compile(r"<em>(.*?)</em>", re.DOTALL)


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "undated"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")


def emphasis(text: str, color: bool) -> str:
    return _EM.sub(lambda m: click.style(m.group(1), bold=True, fg="yellow") if color else f"[{m.group(1)}]", text)


def figure_line(figure: Figure) -> str:
    value = _number(figure.value) + (f"–{_number(figure.value_max)}" if figure.value_max is not None else "")
    parts = [f"{value} {figure.counts}".strip(), f"({figure.category}, {figure.qualifier}"]
    if figure.role != "other":
        parts[-1] += f", {figure.role}"
    parts[-1] += ")"
    if figure.location:
        # Where the place came from, when not the figure's own clause: a reader judges it.
        source = {"sentence": " (from its sentence)", "previous_sentence": " (from the sentence before)",
                  "scene": " (from the article's scene)"}
        parts.append(f"in {figure.location}{source.get(figure.location_from or 'clause', '')}")
    return " ".join(parts)


def report_summary(report: BatchReport, mode: str) -> str:
    lines = [
        f"{len(report.indexed)} indexed, {len(report.duplicates)} already present, "
        f"{len(report.failed)} failed ({mode})"
    ]
    if report.skipped:
        counts = sorted(report.skipped.items(), key=lambda item: (-item[1], item[0]))
        lines.append(f"  skipped {sum(report.skipped.values()):,}: " + ", ".join(f"{n:,} {reason}" for reason, n in counts))
    lines += [f"  failed: {f.line()}" for f in report.failed]
    return "\n".join(lines)


def search_result(result: SearchResult, color: bool) -> str:
    if not result.hits:
        return f"No articles match ({_total(result)} total)."
    lines = [f"{_total(result)} article{'s' if result.total != 1 else ''} match; showing {len(result.hits)}:"]
    for number, hit in enumerate(result.hits, start=1):
        title = click.style(hit.title, bold=True) if color else hit.title
        lines.append(f"\n{number}. {title}")
        lines.append(f"   {hit.source or 'unknown source'} · {_date(hit.published_at)} · id {hit.id} · score {hit.score:g}")
        for fragment in hit.highlights:
            lines.append("   " + emphasis(" ".join(fragment.split()), color))
        for figure in hit.figures:
            lines.append(f"   figure: {figure_line(figure)}")
        if hit.duplicate_of:
            lines.append(f"   near-copy of {hit.duplicate_of}")
        if hit.duplicates:
            lines.append(f"   {len(hit.duplicates)} near-cop{'y' if len(hit.duplicates) == 1 else 'ies'} (--duplicates lists them)")
        if hit.event_keys:
            lines.append("   events: " + ", ".join(hit.event_keys))
    facet_lines = [
        f"  {name}: " + ", ".join(f"{f.value} ({f.count})" for f in counts)
        for name, counts in result.facets.items()
        if counts
    ]
    if facet_lines:
        scope = f" (of the best {result.facets_top:,} matches)" if result.facets_top else ""
        lines += ["", f"Facets{scope}:", *facet_lines]
    return "\n".join(lines)


def _total(result: SearchResult) -> str:
    """"10,000+" when the store stopped counting there (total_relation gte)."""
    return f"{result.total:,}+" if result.total_relation == "gte" else str(result.total)


def article(doc: Article, width: int = 88) -> str:
    lines = [doc.title, "=" * min(len(doc.title), width)]
    if doc.standfirst:
        lines.append(textwrap.fill(doc.standfirst, width))
    lines.append(
        f"\nid {doc.id} · {doc.source or 'unknown source'} · published {_date(doc.published_at)}"
        f" ({doc.published_from}) · language {doc.language or '?'} · extractor {doc.extractor_version}"
    )
    if doc.url:
        lines.append(doc.url)
    if doc.headline_only:
        lines.append("headline only: the feed gave no text, so the body is the headline (full_article fetches the page)")
    if doc.entities:
        top = ", ".join(f"{e.canonical} ({e.label}, {e.count})" for e in doc.entities[:15])
        lines += ["", textwrap.fill("Entities: " + top, width, subsequent_indent="  ")]
    if doc.figures:
        lines += ["", "Figures:"] + [f"  {figure_line(f)}" for f in doc.figures]
    for note in doc.notes:
        lines += ["", textwrap.fill(f"Note: {note}", width)]
    lines += ["", *(textwrap.fill(p, width) + "\n" for p in doc.body.split("\n\n"))]
    return "\n".join(lines).rstrip()


def status(mode: str, report: Status, listed_feeds: int = 10) -> str:
    lines = [f"mode:        {mode}"]
    if report.mode == "broker":
        lines += _broker_lines(report)
    stats = report.store
    if stats is None:
        lines.append(f"store:       unavailable: {report.store_error}")
    else:
        lines += [
            f"store:       {stats.kind} at {stats.location}",
            f"contents:    {stats.articles} articles, {stats.entities} entities, {stats.figures} figures, {stats.events} events",
            f"last ingest: {stats.last_ingested_at.isoformat() if stats.last_ingested_at else 'never'}",
            f"failures:    {stats.failures} inputs could not be ingested",
        ]
    lines.append(f"extractor:   version {report.extractor_version}, spaCy model {report.spacy_model}")
    lines.append(_reindex_line(report))
    lines += _feed_lines(report.feeds, listed_feeds)
    if report.sitemaps.total or report.sitemaps.error:
        lines += _feed_lines(report.sitemaps, listed_feeds, "sitemaps")
    if report.task_errors_error:
        lines.append(f"task errors: unknown ({report.task_errors_error})")
    if report.dead_letters_error:
        lines.append(f"dead letters: unknown ({report.dead_letters_error})")
    elif report.dead_letters:
        lines.append(f"dead letters: {report.dead_letters} batch{'es' if report.dead_letters != 1 else ''} parked "
                     "(newsworker dead-letters list / retry)")
    else:
        lines.append("dead letters: none")
    lines.append("last errors: " + ("none" if not report.last_errors else ""))
    lines += [f"  {_when(e.at)} {e.kind} {e.origin}: {_one_line(e.error)}" for e in report.last_errors]
    return "\n".join(line.rstrip() for line in lines)


def _broker_lines(report: Status) -> list[str]:
    queues = ", ".join(f"{q.name} {q.waiting} waiting" if q.error is None else f"{q.name} unknown ({q.error})"
                       for q in report.queues)
    if report.unacked is not None:
        queues += f"; {report.unacked} delivered, not yet acknowledged (all queues of this broker database)"
    workers = report.workers
    if workers is None or workers.error:
        answering = f"unknown ({workers.error if workers else 'not asked'})"
    else:
        answering = f"{workers.answering} answering" + (": " + ", ".join(workers.names) if workers.names else "")
        if workers.others:
            answering += f" (and {len(workers.others)} on other queues)"
    return [f"queues:      {queues}", f"workers:     {answering}"]


def _reindex_line(report: Status) -> str:
    if report.reindex_error:
        return f"reindex:     unknown ({_one_line(report.reindex_error)})"
    run = report.reindex
    if run is None:
        return "reindex:     none running"
    started = f"started {_when(run.started_at)}"
    if run.coordinator is None:
        return (f"reindex:     stopped at {run.progress.describe()} ({started}; its coordinator is gone: "
                "newsworker reindex --resume)")
    return f"reindex:     {run.progress.describe()} ({started}, coordinated by {run.coordinator})"


def _feed_lines(feeds: FeedsStatus, listed: int, kind: str = "feeds") -> list[str]:
    label = f"{kind}:".ljust(13)
    if feeds.error:
        return [f"{label}unknown ({feeds.error})"]
    if not feeds.total:
        return [f"{label}none registered"]
    counts = ", ".join(f"{n} {health.replace('_', ' ')}" for health, n in feeds.by_health.items())
    lines = [f"{label}{feeds.total} ({counts})"]
    unwell = [f for f in feeds.feeds if f.health != "ok"]
    for feed in unwell[:listed]:
        lines.append(f"  {feed.health.replace('_', ' '):<12} {feed.url}  {_feed_detail(feed)}")
    if len(unwell) > listed:
        lines.append(f"  ... and {len(unwell) - listed} more (newsworker {kind} list)")
    return lines


def _feed_detail(feed: FeedHealth) -> str:
    if feed.health == "failing":
        return f"{feed.consecutive_errors} errors in a row, last success {_when(feed.last_success)}: {_one_line(feed.last_error or '')}"
    if feed.health == "overdue":
        return f"due since {_when(feed.next_poll)} (every {feed.interval_minutes} min; is beat running?)"
    if feed.health == "retired":
        return _one_line(feed.last_error or "gone (HTTP 410)")
    return ""


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "never"


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def event_list(records: list[EventRecord]) -> str:
    if not records:
        return "No events match."
    lines = [f"{len(records)} event{'s' if len(records) != 1 else ''}, oldest first:"]
    for record in records:
        count = len(record.sources) or len(record.article_ids)
        told = "" if record.told_as == [record.type] else f" (told as {', '.join(record.told_as)})"
        lines.append(f"\n{record_time(record).key() if record.date else 'undated'}  {record.summary}{told}")
        lines.append(f"   {count} source{'s' if count != 1 else ''}: {', '.join(record.sources) or 'unknown'}")
        lines.append(f"   key {record.key}")
    return "\n".join(lines)


def event_detail(record: EventRecord, color: bool) -> str:
    title = click.style(record.summary, bold=True) if color else record.summary
    lines = [title, f"key {record.key}",
             f"{len(record.sources)} sources, {len(record.article_ids)} articles, "
             f"first seen {_date(record.first_seen)}, last seen {_date(record.last_seen)}", ""]
    for report in record.reports:
        value = _number(report.value) if report.value is not None else "?"
        change = ""
        if report.from_value is not None or report.to_value is not None:
            change = f" ({_number(report.from_value) if report.from_value is not None else '?'} -> " \
                     f"{_number(report.to_value) if report.to_value is not None else '?'})"
        copy = f" [copy of {report.duplicate_of}]" if report.duplicate_of else ""
        when = report.published_at.strftime("%Y-%m-%d %H:%M") if report.published_at else "undated"
        lines.append(f"- {report.source or 'unknown source'} · {when} · {value}{change} · {report.told_as}{copy}")
        lines.append(f"  \"{' '.join(report.sentence.split())}\"")
        lines.append(f"  article {report.article_id}" + (f" · {report.url}" if report.url else ""))
    return "\n".join(lines)
