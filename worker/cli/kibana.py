"""`newsworker kibana import`: data views and saved searches into Kibana."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..kibana import import_objects, import_url, load_objects
from ..settings import redact_url
from .common import Context, emit_json, guard, pass_context


@click.group()
def kibana() -> None:
    """Kibana: import the newsworker data views and saved searches (kibana/saved_objects.ndjson)."""


@kibana.command("import")
@click.option("--url", help="Kibana base URL (default NEWSWORKER_KIBANA__URL, http://localhost:5601).")
@click.option("--space", help="Kibana space id (default NEWSWORKER_KIBANA__SPACE, else the default space).")
@click.option("--file", "path", type=click.Path(path_type=Path, dir_okay=False),
              help="Saved objects NDJSON (default NEWSWORKER_KIBANA__SAVED_OBJECTS, the saved_objects.ndjson shipped with newsworker).")
@click.option("--json", "as_json", is_flag=True, help="Print the import result as JSON.")
@pass_context
@guard
def import_(ctx: Context, url: str | None, space: str | None, path: Path | None, as_json: bool) -> None:
    """Import the data views (newsworker-articles, newsworker-events) and saved searches.

    Objects with the same ids are overwritten, so importing again after an upgrade is safe.
    Credentials come from NEWSWORKER_KIBANA__API_KEY or __USERNAME/__PASSWORD and are
    never printed. Data view titles follow NEWSWORKER_ES__INDEX_PREFIX.
    """
    settings = ctx.settings
    ndjson = load_objects(path or settings.kibana.saved_objects, settings.es.index_prefix)
    result = import_objects(settings.kibana, ndjson, url=url, space=space)
    where = redact_url(import_url(url or settings.kibana.url, settings.kibana.space if space is None else space))
    if as_json:
        emit_json(result.model_dump(mode="json"))
    else:
        click.echo(f"Kibana {where}: {result.count} saved objects imported"
                   f"{', ' + str(len(result.errors)) + ' failed' if result.errors else ''}.")
        for obj in result.imported:
            click.echo(f"  {obj.type} {obj.id}" + (f": {obj.title}" if obj.title else ""))
        for failure in result.errors:
            click.echo(f"  failed: {failure.type} {failure.id}" + (f" ({failure.title})" if failure.title else "")
                       + f": {failure.error}")
    if not result.success:
        sys.exit(1)
