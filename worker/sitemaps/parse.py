"""Sitemap bytes to data: a <urlset> (with Google News fields) or a <sitemapindex>. Pure.

Parsed safely: gzip inflated within a cap (a gzip bomb stops at it), XML without entities,
DTDs or network access; elements matched by local name, as many sitemaps get the namespace
wrong or leave it out.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timezone
from typing import Literal

from lxml import etree
from pydantic import BaseModel

from ..errors import NewsworkerError
from ..pages.urls import refusal

GZIP_MAGIC = b"\x1f\x8b"


class SitemapError(NewsworkerError):
    """A sitemap could not be read; the reason goes to its state and the poll report."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason


class SitemapUrl(BaseModel):
    loc: str
    lastmod: datetime | None = None
    # Google News sitemap fields (news:news).
    news_title: str | None = None
    news_published: str | None = None
    news_source: str | None = None

    @property
    def newest(self) -> str:
        """What orders entries newest first: the news date, else lastmod (ISO strings compare)."""
        return self.news_published or (self.lastmod.isoformat() if self.lastmod else "")


class SitemapRef(BaseModel):
    loc: str
    lastmod: datetime | None = None


class ParsedSitemap(BaseModel):
    kind: Literal["urlset", "index"]
    urls: list[SitemapUrl] = []
    sitemaps: list[SitemapRef] = []
    # Entries left out (no <loc>, not an http(s) URL), with the first reason.
    dropped: int = 0
    problem: str | None = None


def inflate(url: str, data: bytes, max_bytes: int) -> bytes:
    """``data`` itself, or inflated when it is gzip (a .xml.gz file), never past ``max_bytes``."""
    if not data.startswith(GZIP_MAGIC):
        return data
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise SitemapError(url, f"gzip sitemap is corrupt: {exc}") from None
    if len(out) > max_bytes:
        raise SitemapError(url, f"gzip sitemap inflates past {max_bytes:,} bytes (NEWSWORKER_FETCH__MAX_BYTES)")
    return out


_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False,
                   "remove_comments": True, "remove_pis": True}


def parse_sitemap(url: str, data: bytes, max_bytes: int) -> ParsedSitemap:
    root = _root(url, inflate(url, data, max_bytes))
    kind = _local(root)
    if kind == "sitemapindex":
        refs, dropped, why = _entries(root, "sitemap", lambda el, loc: SitemapRef(loc=loc, lastmod=_date(_child(el, "lastmod"))))
        return ParsedSitemap(kind="index", sitemaps=refs, dropped=dropped, problem=why)
    if kind == "urlset":
        urls, dropped, why = _entries(root, "url", _url)
        return ParsedSitemap(kind="urlset", urls=urls, dropped=dropped, problem=why)
    raise SitemapError(url, f"not a sitemap: the document is <{kind}>, not <urlset> or <sitemapindex>")


def _root(url: str, data: bytes) -> etree._Element:
    try:
        root = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        raise SitemapError(url, f"sitemap is not well-formed XML: {exc}") from None
    if root is None:
        raise SitemapError(url, "sitemap is empty")
    return root


def _entries(root, tag: str, make) -> tuple[list, int, str | None]:
    found, dropped, first = [], 0, ""
    for element in root:
        if _local(element) != tag:
            continue
        loc = (_child(element, "loc") or "").strip()
        reason = "an entry without <loc>" if not loc else refusal(loc)
        if reason:
            dropped += 1
            first = first or f"{reason} ({loc[:100]!r})"
            continue
        found.append(make(element, loc))
    return found, dropped, f"{dropped} entries left out, the first: {first}" if dropped else None


def _url(element, loc: str) -> SitemapUrl:
    news = next((c for c in element if _local(c) == "news"), None)
    publication = next((c for c in news if _local(c) == "publication"), None) if news is not None else None
    return SitemapUrl(
        loc=loc, lastmod=_date(_child(element, "lastmod")),
        news_title=_child(news, "title") if news is not None else None,
        news_published=_child(news, "publication_date") if news is not None else None,
        news_source=_child(publication, "name") if publication is not None else None,
    )


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child(element, name: str) -> str | None:
    for child in element:
        if _local(child) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def _date(value: str | None) -> datetime | None:
    """A W3C datetime (2024-01-15, 2024-01-15T10:00:00+01:00, ...Z) in UTC; None when unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
