"""Entries a poll leaves out on purpose, each named with its reason, never silently.

Pure: which entries of one poll repeat an earlier entry, why the ledger refused one, and the
one-line summary kept in the feed's state (`feeds list`); the poll report lists every one.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from .parse import FeedItem

_KINDS = {"id": "id", "link": "link", "hash": "title and text", "twin": "link, title and text"}
SUMMARY_REASONS = 3


class Skipped(BaseModel):
    """One feed entry not indexed, and why; ``origin`` names it as a failure's origin does."""

    origin: str
    reason: str


def origin_of(feed_url: str, item: FeedItem) -> str:
    return f"{feed_url}#{item.entry_id or item.link or item.title or f'entry {item.position}'}"


def repeats(items: Sequence[FeedItem], keys: Sequence[Sequence[str]]) -> dict[int, str]:
    """Index -> reason, for each entry sharing a key with an earlier entry of the same poll: the
    feed lists one item twice (Scripting News repeats a guid with other text); the first counts."""
    first: dict[str, FeedItem] = {}
    found: dict[int, str] = {}
    for index, (item, item_keys) in enumerate(zip(items, keys)):
        shared = next((k for k in item_keys if k in first), None)
        if shared is not None:
            found[index] = f"same {_kind(shared)} as entry {first[shared].position} of the feed, which is indexed in its place"
            continue
        for key in item_keys:
            first.setdefault(key, item)
    return found


def refusal(feed_url: str, holders: Sequence[tuple[str, str, str | None, bool]]) -> str | None:
    """Why the ledger refused an item, from the rows holding its keys (key, status, feed, lease
    held); None when it is this feed's own item, done in an earlier poll (counted, not listed)."""
    for key, status, holder, leased in holders:
        if holder and holder != feed_url and (status == "done" or leased):
            return f"same {_kind(key)} as an item of the feed {holder}, which is indexed there (a twin feed)"
    if any(leased and status != "done" for _, status, _, leased in holders):
        return "being indexed by another poll of this feed now (its lease holds)"
    return None


def summary(skipped: Sequence[Skipped]) -> str | None:
    """The feed's note: how many entries were skipped, and the first reasons."""
    if not skipped:
        return None
    shown = "; ".join(f"{s.origin}: {s.reason}" for s in skipped[:SUMMARY_REASONS])
    more = f"; and {len(skipped) - SUMMARY_REASONS} more (`feeds poll --json` lists them)" if len(skipped) > SUMMARY_REASONS else ""
    return f"{len(skipped)} {'entry' if len(skipped) == 1 else 'entries'} skipped: {shown}{more}"


def _kind(key: str) -> str:
    return _KINDS.get(key.split(":", 1)[0], "key")
