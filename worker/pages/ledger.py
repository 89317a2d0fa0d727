"""Pages in the item ledger (var/feeds.db, the feeds' own): a page seen through a feed or a
sitemap is known by its URL, and by the sitemap's lastmod it was fetched at."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from ..feeds.state import FeedStateStore
from ..normalize.identity import item_url
from .requests import PageRequest


def page_key(url: str) -> str:
    """The one key of a page across feeds and sitemaps."""
    return f"page:{item_url(url) or url}"


def lastmod_key(url: str, lastmod: datetime) -> str:
    """A page as of one version: a later lastmod is a new key, so the changed page is fetched."""
    return f"{page_key(url)}@{lastmod.isoformat()}"


class PageLedger:
    def __init__(self, states: FeedStateStore):
        self.states = states

    def first_seen(self, url: str) -> datetime | None:
        """When the page was first taken (by a feed or a sitemap), if it was taken and done."""
        return self.states.done_since(page_key(url))

    def note_seen(self, urls: Iterable[str | None], via: str) -> None:
        """Pages a feed brought: a sitemap listing them later does not fetch them again."""
        keys = [page_key(u) for u in urls if u]
        if keys:
            self.states.mark_done(keys, via)

    def settle(self, requests: Sequence[PageRequest], retry_later: Sequence[PageRequest]) -> None:
        """Claims of indexed (or finally failed) pages done, with their page key; the others given
        back, so the next poll takes them again."""
        again = {id(r) for r in retry_later}
        owed: dict[str, int] = {}
        for request in requests:
            if request.keys and id(request) in again:
                self.states.release(request.keys)
                if request.listed_in:
                    owed[request.listed_in] = owed.get(request.listed_in, 0) + 1
        for sitemap, count in owed.items():
            self.states.owe(sitemap, count)
        done = [r for r in requests if r.keys and id(r) not in again]
        self.states.complete_many([r.keys for r in done])
        for request in done:
            self.states.mark_done([page_key(request.url)], request.listed_in or request.url)
