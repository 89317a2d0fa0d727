"""Generations of the article indices: list them, add one, move the aliases, drop one.

A generation is an index ``{prefix}-articles-v{N}``; the live one is where the read and
write aliases point. Moving them is ONE ``_aliases`` request, so readers and writers
never see a moment with no index or with two.
"""

from __future__ import annotations

from elasticsearch import Elasticsearch, NotFoundError

from ..errors import StoreError
from .base import IndexVersion, IndexVersions
from .es_errors import translated
from .es_names import Family


def versions(client: Elasticsearch, family: Family, where: str) -> IndexVersions:
    """Every generation with its count; live = the read alias's index; previous = the highest below it."""
    with translated(f"listing the indices {family.pattern}", where):
        indices = client.indices.get_alias(index=family.pattern).body
    readers = [name for name, entry in indices.items() if family.read_alias in entry.get("aliases", {})]
    if len(readers) > 1:
        raise StoreError(
            f"the alias {family.read_alias} points at several indices ({', '.join(sorted(readers))}); "
            "leave it on one (POST _aliases) before indexing or reindexing"
        )
    numbered = sorted((v, name) for name in indices if (v := family.version_of(name)) is not None)
    kept = [IndexVersion(name=name, version=v, articles=count(client, name, where, refresh=False)) for v, name in numbered]
    live = next((k for k in kept if k.name in readers), None)
    complete = {name for name, entry in indices.items() if family.complete_alias in entry.get("aliases", {})}
    # Indices made before the marker existed carry none: then every one counts, as it did.
    finished = (lambda k: k.name in complete) if complete else (lambda k: True)
    below = [k for k in kept if live is not None and k.version < live.version and finished(k)]
    building = next((k for k in kept if family.building_alias in indices[k.name].get("aliases", {})), None)
    return IndexVersions(live=live, previous=below[-1] if below else None, kept=kept, building=building)


def write_targets(client: Elasticsearch, family: Family, where: str) -> set[str]:
    """The live index and the one being built: where a write must land (one request)."""
    with translated(f"reading the aliases of {family.pattern}", where):
        indices = client.indices.get_alias(index=family.pattern).body
    wanted = {family.read_alias, family.building_alias}
    return {name for name, entry in indices.items() if wanted & set(entry.get("aliases", {}))}


def mark_building(client: Elasticsearch, family: Family, current: IndexVersion | None, target: IndexVersion | None,
                  where: str) -> None:
    actions: list[dict] = []
    if current is not None:
        actions.append({"remove": {"index": current.name, "alias": family.building_alias}})
    if target is not None:
        actions.append({"add": {"index": target.name, "alias": family.building_alias}})
    if actions:
        with translated(f"moving the alias {family.building_alias}", where):
            client.indices.update_aliases(actions=actions)


def live_names(client: Elasticsearch, family: Family, where: str) -> list[str]:
    """The index behind the read alias (one request, where versions() also counts every generation)."""
    with translated(f"reading the alias {family.read_alias}", where):
        try:
            return list(client.indices.get_alias(name=family.read_alias).body)
        except NotFoundError:
            return []


def create_next(client: Elasticsearch, family: Family, where: str) -> IndexVersion:
    """A new empty index one above every existing generation, shaped by the current templates."""
    with translated(f"listing the indices {family.pattern}", where):
        names = client.indices.get_alias(index=family.pattern).body
    number = max([v for name in names if (v := family.version_of(name)) is not None], default=0) + 1
    name = family.index(number)
    with translated(f"creating the index {name}", where):
        client.indices.create(index=name)
    return IndexVersion(name=name, version=number, articles=0)


def count(client: Elasticsearch, index: str, where: str, refresh: bool = True) -> int:
    """Documents in ``index``; with ``refresh`` it first makes every write so far visible."""
    with translated(f"counting the documents of {index}", where):
        if refresh:
            client.indices.refresh(index=index)
        return client.count(index=index).body["count"]


def swap(client: Elasticsearch, family: Family, live: IndexVersion | None, target: IndexVersion, where: str,
         building: IndexVersion | None = None) -> None:
    actions: list[dict] = []
    if building is not None:  # in the same request: writers never miss the new live index
        actions.append({"remove": {"index": building.name, "alias": family.building_alias}})
    if live is not None:
        actions += [
            {"remove": {"index": live.name, "alias": family.read_alias}},
            {"remove": {"index": live.name, "alias": family.write_alias}},
        ]
    actions += [
        {"add": {"index": target.name, "alias": family.read_alias}},
        {"add": {"index": target.name, "alias": family.write_alias, "is_write_index": True}},
        {"add": {"index": target.name, "alias": family.complete_alias}},
    ]
    if live is not None:
        actions.append({"add": {"index": live.name, "alias": family.complete_alias}})
    with translated(f"moving the aliases {family.read_alias} and {family.write_alias} to {target.name}", where):
        client.indices.update_aliases(actions=actions)


def drop(client: Elasticsearch, index: str, where: str) -> None:
    with translated(f"deleting the index {index}", where):
        try:
            client.indices.delete(index=index)
        except NotFoundError:
            pass  # already gone: what dropping it was for
