"""`newsworker es setup|status`: the Elasticsearch cluster behind NEWSWORKER_ES__*."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .common import Context, emit_json, guard, pass_context


@click.group()
def es() -> None:
    """Set up and inspect the Elasticsearch store (NEWSWORKER_ES__URL, default http://localhost:9200).

    Templates come from mappings/elasticsearch/; indices are {prefix}-articles-v{N} behind
    the read alias {prefix}-articles and the write alias {prefix}-articles-write.
    """


if TYPE_CHECKING:
    from ..store.elasticsearch import ElasticsearchStore


def _store(ctx: Context) -> "ElasticsearchStore":
    # Imported when used: other commands should not pay for loading the client.
    from ..store.elasticsearch import ElasticsearchStore

    settings = ctx.settings
    return ElasticsearchStore.from_settings(settings.es, settings.mappings_dir)


@es.command()
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@pass_context
@guard
def setup(ctx: Context, as_json: bool) -> None:
    """Install the index templates from the mapping files and create the first indices.

    Safe to run again: templates are replaced by the files' current content, indices that
    exist are kept, and fields the templates added since are added to the live ones (a field
    whose type changed reaches them with `newsworker reindex`).
    """
    with _store(ctx) as store:
        report = store.install()
    if as_json:
        emit_json(report.model_dump(mode="json"))
        return
    click.echo(f"Elasticsearch at {report.cluster}:")
    click.echo(f"  component templates installed: {', '.join(report.component_templates)}")
    click.echo(f"  index templates installed:     {', '.join(report.index_templates)}")
    for name in report.created:
        click.echo(f"  created {name}")
    if report.existing:
        click.echo(f"  already there, left as they are: {', '.join(report.existing)}")
    for name in report.mappings_updated:
        click.echo(f"  added the templates' new fields to {name}")
    if ctx.settings.store != "elasticsearch":
        click.echo("Note: NEWSWORKER_STORE is not elasticsearch; set NEWSWORKER_STORE=elasticsearch to ingest into it.")


@es.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_context
@guard
def status(ctx: Context, as_json: bool) -> None:
    """The cluster, the templates, and the article generations with their counts."""
    with _store(ctx) as store:
        cluster = store.cluster_status()
        versions = store.versions()
    if as_json:
        emit_json({"cluster": cluster.model_dump(mode="json"), "articles": versions.model_dump(mode="json")})
        return
    click.echo(f"Elasticsearch at {cluster.cluster}: cluster {cluster.name!r}, version {cluster.version}, health {cluster.health}")
    missing = [name for name, there in cluster.templates.items() if not there]
    click.echo("templates:  " + (f"missing {', '.join(missing)}: run `newsworker es setup`" if missing
                                 else f"{len(cluster.templates)} installed"))
    read = store.articles.read_alias
    if versions.live is None:
        click.echo(f"articles:   the alias {read} points nowhere: run `newsworker es setup`")
    else:
        click.echo(f"articles:   {read} -> {versions.live.name}; writes -> {cluster.write_index or 'nowhere'}")
    for v in versions.kept:
        mark = "live" if versions.live and v.name == versions.live.name else (
            "previous (`newsworker reindex --rollback` restores it)" if versions.previous and v.name == versions.previous.name else "")
        click.echo(f"  v{v.version:<4} {v.name:<40} {v.articles:>10,} articles  {mark}".rstrip())
    click.echo(f"events:     {store.layout.events.read_alias} -> {cluster.events_index or 'nowhere'}")
    click.echo(f"failures:   {store.layout.failures} {'exists' if cluster.failures_index else 'missing'}")
