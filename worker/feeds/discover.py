"""Feed autodiscovery: the <link rel="alternate"> feeds an HTML page declares."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

FEED_TYPES = {
    "application/rss+xml": 0,
    "application/atom+xml": 1,
    "application/feed+json": 2,
    "application/rdf+xml": 3,
    "application/json": 4,
    "text/xml": 5,
    "application/xml": 5,
}


def discover_feeds(page_url: str, html: bytes | str) -> list[str]:
    """Absolute feed URLs the page links to, RSS first, then Atom, JSON Feed, RDF."""
    try:
        root = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = next(iter(root.xpath("//base/@href")), None) or page_url
    found: list[tuple[int, int, str]] = []
    for order, link in enumerate(root.xpath("//link[@href]")):
        rel = {r.lower() for r in (link.get("rel") or "").split()}
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rel and kind in FEED_TYPES:
            found.append((FEED_TYPES[kind], order, urljoin(urljoin(page_url, base), link.get("href").strip())))
    seen: set[str] = set()
    # Only http(s): a page must not point the worker at its own disk (file:, and the rest).
    return [url for _, _, url in sorted(found) if urlsplit(url).scheme in ("http", "https")
            and not (url in seen or seen.add(url))]


def looks_like_html(data: bytes, content_type: str = "") -> bool:
    if "html" in content_type.lower():
        return True
    head = data.lstrip()[:512].lower()
    return head.startswith(b"<!doctype html") or b"<html" in head
