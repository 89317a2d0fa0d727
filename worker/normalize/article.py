"""RawDocument -> Article: the normalize stage in one pure function."""

from __future__ import annotations

from datetime import datetime

from ..models import Article, RawDocument
from .cleanup import clean_line
from .dates import latest_date_in_text, parse_date
from .identity import article_id, canonical_url, content_hash, feed_scope, item_url, simhash
from .language import detect_language
from .layout import split_layout


def normalize(raw: RawDocument, now: datetime | None = None) -> Article:
    """Clean text, split title/standfirst/body, date in UTC, language, stable id and hashes.

    Raises InputError (naming ``raw.origin``) when nothing of an article is left.
    """
    layout = split_layout(raw)
    published = parse_date(raw.published)
    published_from = "source" if published else "none"
    if published is None:
        # Captions are not body text, but the date they give is often the article's own.
        published = latest_date_in_text(raw.text, now)
        published_from = "text" if published else "none"
    canonical = canonical_url(raw.canonical_url or raw.url)
    digest = content_hash(layout.title, layout.body)
    return Article(
        id=_id(raw, canonical, digest),
        url=raw.url,
        canonical_url=canonical,
        source=clean_line(raw.source) if raw.source else None,
        feed_url=raw.feed_url,
        origin=raw.origin,
        title=layout.title,
        standfirst=layout.standfirst,
        body=layout.body,
        headline_only=layout.headline_only,
        published_at=published,
        published_from=published_from,
        language=detect_language(f"{layout.title}\n{layout.body}"),
        authors=layout.authors,
        fetched_at=raw.fetched_at,
        content_hash=digest,
        simhash=simhash(layout.body),
    )


def _id(raw: RawDocument, canonical: str | None, digest: str) -> str:
    """A fetched page (or a file) is its page; a feed's own text is that feed's item."""
    if raw.kind == "feed" and not raw.page_fetched and raw.feed_url:
        return article_id(item_url(raw.url), digest, feed_scope(raw.feed_url, raw.entry_id))
    return article_id(canonical, digest)
