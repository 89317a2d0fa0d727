"""`newsworker events` and `newsworker show-event`: the cross-source facts, not the articles."""

from __future__ import annotations

import sys

import click
from pydantic import ValidationError

from ..models import EventQuery
from . import render
from .common import Context, emit_json, guard, pass_context
from .filters import parse_day

EVENT_TYPES = ["troop_level", "troop_level_change", "casualties"]


@click.command()
@click.argument("query", required=False, default="")
@click.option("--type", "event_type", type=click.Choice(EVENT_TYPES),
              help="troop_level also lists levels reported as the result of a change.")
@click.option("--location", help="Only events in this place (canonical name, e.g. Iraq).")
@click.option("--actor", help="Only events of this country's troops or people (e.g. \"United States\").")
@click.option("--since", help="Events dated on or after this day (YYYY-MM-DD).")
@click.option("--until", help="Events dated on or before this day.")
@click.option("--size", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print the EventRecords as JSON.")
@pass_context
@guard
def events(ctx: Context, query, event_type, location, actor, since, until, size, as_json) -> None:
    """List events with how many sources reported each, oldest first (a timeline).

    \b
    Examples:
      newsworker events "Iraq 2,500"
      newsworker events --location Iraq --type troop_level
      newsworker events --type casualties --since 2024-01-01 --json
    """
    try:
        request = EventQuery(text=query, type=event_type, location=location, actor=actor,
                             since=parse_day(since) if since else None,
                             until=parse_day(until, end_of_day=True) if until else None, size=size)
    except ValidationError as exc:
        raise click.UsageError("; ".join(e["msg"] for e in exc.errors())) from None
    found = ctx.runtime.store.search_events(request)
    if as_json:
        emit_json([r.model_dump(mode="json") for r in found])
    else:
        click.echo(render.event_list(found))


@click.command("show-event")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print the EventRecord as JSON.")
@pass_context
@guard
def show_event(ctx: Context, key: str, as_json: bool) -> None:
    """Show one event with its sources side by side: outlet, time, value given, sentence."""
    record = ctx.runtime.store.get_event(key)
    if record is None:
        raise click.ClickException(f"no event with key {key!r}; `newsworker events` lists them")
    if as_json:
        emit_json(record.model_dump(mode="json"))
    else:
        click.echo(render.event_detail(record, color=sys.stdout.isatty()))
