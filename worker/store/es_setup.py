"""`es setup`: install the templates from files and create the first indices behind their aliases.

Safe to run at every start and from several workers at once: templates are replaced by
the files' current content, and an index another process created a moment earlier
counts as existing. Fields the templates gained since a live index was made are added to
it (a strict mapping would refuse every document carrying them until the next reindex);
a field whose type changed cannot be, and is left to `newsworker reindex`.
"""

from __future__ import annotations

import copy

from elasticsearch import BadRequestError, Elasticsearch, NotFoundError
from pydantic import BaseModel

from ..errors import StoreError
from .es_errors import translated
from .es_names import Family, Layout
from .es_templates import Templates


class SetupReport(BaseModel):
    cluster: str
    component_templates: list[str]
    index_templates: list[str]
    created: list[str]
    existing: list[str]
    # Live indices whose mapping got the fields the templates added since they were made.
    mappings_updated: list[str] = []


def install(client: Elasticsearch, layout: Layout, templates: Templates, where: str) -> SetupReport:
    report = SetupReport(cluster=where, component_templates=[], index_templates=[], created=[], existing=[])
    for t in templates.component:
        with translated(f"installing the component template {t.name} from {t.path}", where):
            client.cluster.put_component_template(name=t.name, body=copy.deepcopy(t.body))
        report.component_templates.append(t.name)
    for t in templates.index:
        with translated(f"installing the index template {t.name} from {t.path}", where):
            client.indices.put_index_template(name=t.name, body=copy.deepcopy(t.body))
        report.index_templates.append(t.name)
    for family in (layout.articles, layout.events):
        _first_generation(client, family, where, report)
        _add_new_fields(client, family, templates, where, report)
    _create(client, layout.failures, {}, where, report)
    return report


def _first_generation(client: Elasticsearch, family: Family, where: str, report: SetupReport) -> None:
    with translated(f"reading the aliases of {family.pattern}", where):
        indices = client.indices.get_alias(index=family.pattern).body
    live = [name for name, entry in indices.items() if family.read_alias in entry.get("aliases", {})]
    if live:
        report.existing.extend(live)
        return
    numbered = sorted(name for name in indices if family.version_of(name))
    if numbered:
        raise StoreError(
            f"{', '.join(numbered)} exist but the alias {family.read_alias} points at none of them "
            "(an interrupted setup or reindex?); point the aliases at the right one (POST _aliases) "
            "or delete those indices, then run `newsworker es setup` again"
        )
    aliases = {family.read_alias: {}, family.write_alias: {"is_write_index": True}, family.complete_alias: {}}
    _create(client, family.index(1), aliases, where, report)


def _add_new_fields(client: Elasticsearch, family: Family, templates: Templates, where: str,
                    report: SetupReport) -> None:
    """Put the templates' fields on the live generation: adding a field is allowed on a live
    index, and documents that carry it are refused by a strict mapping until it has it."""
    wanted = composed_properties(templates, family.pattern)
    if not wanted:
        return
    with translated(f"reading the mapping of {family.read_alias}", where):
        current = client.indices.get_mapping(index=family.read_alias).body
    for index, entry in current.items():
        have = entry.get("mappings", {}).get("properties", {})
        added = {name: spec for name, spec in wanted.items() if name not in have}
        if not added:
            continue
        with translated(f"adding the fields {', '.join(sorted(added))} to {index} "
                        "(if a field's type changed, run `newsworker reindex` instead)", where):
            client.indices.put_mapping(index=index, properties=copy.deepcopy(added))
        report.mappings_updated.append(index)


def composed_properties(templates: Templates, pattern: str) -> dict:
    """The top-level fields an index matching ``pattern`` gets from its index template's components."""
    index_template = next((t for t in templates.index if pattern in t.body.get("index_patterns", [])), None)
    if index_template is None:
        return {}
    components = {t.name: t for t in templates.component}
    properties: dict = {}
    for name in index_template.body.get("composed_of", []):
        component = components.get(name)
        if component is not None:
            properties.update(component.body.get("template", {}).get("mappings", {}).get("properties", {}))
    properties.update(index_template.body.get("template", {}).get("mappings", {}).get("properties", {}))
    return properties


def _create(client: Elasticsearch, index: str, aliases: dict, where: str, report: SetupReport) -> None:
    with translated(f"creating the index {index}", where):
        try:
            client.indices.create(index=index, aliases=aliases or None)
        except BadRequestError as exc:
            if _error_type(exc) != "resource_already_exists_exception":
                raise
            report.existing.append(index)  # another process made it first
            return
    report.created.append(index)


def _error_type(exc: BadRequestError) -> str | None:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    return error.get("type") if isinstance(error, dict) else None


class ClusterStatus(BaseModel):
    cluster: str
    name: str
    version: str
    health: str
    templates: dict[str, bool]
    write_index: str | None
    events_index: str | None
    failures_index: bool


def status(client: Elasticsearch, layout: Layout, templates: Templates, where: str) -> ClusterStatus:
    """What `es status` shows besides the generations: the cluster, templates, write alias."""
    with translated("reading the cluster's state", where):
        info = client.info().body
        health = client.cluster.health().body
        installed = {t.name: bool(client.cluster.exists_component_template(name=t.name)) for t in templates.component}
        installed |= {t.name: bool(client.indices.exists_index_template(name=t.name)) for t in templates.index}
        failures = bool(client.indices.exists(index=layout.failures))
    return ClusterStatus(
        cluster=where,
        name=info.get("cluster_name", ""),
        version=info.get("version", {}).get("number", ""),
        health=health.get("status", "unknown"),
        templates=installed,
        write_index=_alias_target(client, layout.articles.write_alias, where),
        events_index=_alias_target(client, layout.events.read_alias, where),
        failures_index=failures,
    )


def _alias_target(client: Elasticsearch, alias: str, where: str) -> str | None:
    with translated(f"reading the alias {alias}", where):
        try:
            names = sorted(client.indices.get_alias(name=alias).body)
        except NotFoundError:
            return None
    return ", ".join(names) or None
