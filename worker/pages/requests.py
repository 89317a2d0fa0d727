"""What asks for a page: a URL, and what its lister (a Google News sitemap) already says of it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PageRequest(BaseModel):
    """One page to fetch; crosses the Celery boundary as JSON (chunks of URLs, never pages)."""

    url: str
    # A news sitemap's word on the article, which wins over the page's own.
    title: str | None = None
    source: str | None = None
    published: str | None = None
    # Item-ledger keys claimed for it (sitemap polls): done once indexed, given back when the
    # fetch failed in a way worth retrying.
    keys: list[str] = Field(default=[])
    listed_in: str | None = Field(default=None, description="the sitemap that listed it")
