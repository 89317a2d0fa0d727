"""Which of a sitemap's <url>s a poll fetches: those not seen, or changed since (lastmod). Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from pydantic import BaseModel

from ..pages.ledger import lastmod_key, page_key
from .parse import SitemapUrl


class Pick(BaseModel):
    entry: SitemapUrl
    # The ledger keys the page is claimed by: its URL, or its URL at this lastmod.
    keys: list[str]


def candidates(entries: Iterable[SitemapUrl], first_seen: Callable[[str], datetime | None]) -> tuple[list[Pick], int]:
    """The entries worth fetching, newest first, and how many were known unchanged.

    Without lastmod a page is fetched once (its URL is the key, shared with feeds). With one,
    it is fetched again when the lastmod is new and later than the page was first seen: a
    page a feed brought at 10:00 is not fetched for a lastmod of 09:00.
    """
    picks: dict[str, Pick] = {}
    unchanged = 0
    for entry in entries:
        key = page_key(entry.loc)
        if key in picks:
            unchanged += 1  # listed twice (two child sitemaps): one fetch
            continue
        if entry.lastmod is None:
            picks[key] = Pick(entry=entry, keys=[key])
            continue
        seen = first_seen(entry.loc)
        if seen is not None and entry.lastmod <= seen:
            unchanged += 1
            continue
        picks[key] = Pick(entry=entry, keys=[lastmod_key(entry.loc, entry.lastmod)])
    return sorted(picks.values(), key=lambda p: p.entry.newest, reverse=True), unchanged
