"""Feed bodies to items: RSS 0.9x/1.0/2.0, Atom and RDF via feedparser, JSON Feed 1.x by hand.

Pure: bytes in, ParsedFeed out. A malformed ("bozo") feed that still yields entries is
used and its problem noted; one that yields none raises FeedParseError.
"""

from __future__ import annotations

import email.utils
import io
import json
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from pydantic import BaseModel, field_validator

from ..models import valid_unicode
from ..normalize.cleanup import clean_text
from ..sources.html import fragment_text
from .discover import discover_feeds
from .entities import without_entities
from .errors import FeedParseError

JSON_FEED_TYPES = ("application/feed+json", "application/json")
# The spec's version URLs are https; WordPress's JSON Feed plugin writes them with http.
JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")


class _ValidText(BaseModel):
    """Feeds are JSON too, and JSON carries lone surrogates ("\\ud800") that no store,
    ledger or log can encode: they are replaced on the way in."""

    @field_validator("*", mode="before")
    @classmethod
    def _valid_unicode(cls, value: object) -> object:
        return valid_unicode(value)


class FeedItem(_ValidText):
    position: int = 0  # 1-based, among the entries of the document parsed: names an entry without id or link
    entry_id: str | None = None
    link: str | None = None
    title: str | None = None
    summary: str = ""
    content: str = ""
    published: str | None = None
    authors: list[str] = []

    @property
    def text(self) -> str:
        """The fullest text the feed gives: content, else the summary."""
        return self.content if len(self.content) >= len(self.summary) else self.summary

    @property
    def standfirst(self) -> str | None:
        """The summary, when the text is the content and the summary is something else; a
        summary longer than the content is the text itself, never its standfirst too."""
        if self.content and self.text == self.content and self.summary not in ("", self.content):
            return self.summary
        return None


class ParsedFeed(_ValidText):
    title: str | None = None
    link: str | None = None
    items: list[FeedItem]
    problem: str | None = None
    # Entries that are no item, by position: the poll names each with its reason.
    dropped: dict[int, str] = {}


NOTHING_IN_IT = "entry has nothing in it (no title, link or text)"
NOT_AN_OBJECT = "item is not a JSON object"


def parse_feed(url: str, data: bytes, content_type: str = "", base: str | None = None) -> ParsedFeed:
    """``base``: what relative links are relative to (the response's Content-Location, else
    the URL it came from); default ``url``. xml:base inside the feed applies first."""
    if _looks_like_json(data, content_type):
        return parse_json_feed(url, data, base)
    return parse_xml_feed(url, data, content_type, base)


def _looks_like_json(data: bytes, content_type: str) -> bool:
    if any(t in content_type.lower() for t in JSON_FEED_TYPES):
        return True
    return data.lstrip()[:1] == b"{"


def parse_xml_feed(url: str, data: bytes, content_type: str = "", base: str | None = None) -> ParsedFeed:
    try:
        data, content_type, entity_note = without_entities(url, data, content_type)
        headers = {"content-type": content_type} if content_type else {}
        # A file object, never bytes: feedparser opens bytes that name a local file (or a URL),
        # so a body of "/etc/app/feed.xml" would make it read that file.
        parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    except FeedParseError:
        raise
    except Exception as exc:  # feedparser promises not to raise, but hostile input has made it
        raise FeedParseError(url, f"feed could not be parsed: {type(exc).__name__}: {exc}") from None
    problem = "; ".join(filter(None, [entity_note, _bozo_reason(parsed) if parsed.get("bozo") else None])) or None
    items, dropped = _kept([_xml_item(n, entry, base or url) for n, entry in enumerate(parsed.entries, start=1)])
    if not items:
        reason = _none_kept(dropped) if dropped else problem or "no entries in the feed"
        raise FeedParseError(url, reason + _what_it_was(url, parsed, data))
    feed = parsed.get("feed", {})
    return ParsedFeed(title=feed.get("title") or None, link=absolute(base or url, feed.get("link")), items=items,
                      problem=problem, dropped=dropped)


def _kept(items: list[FeedItem]) -> tuple[list[FeedItem], dict[int, str]]:
    """The items with something in them, and the positions of those with nothing."""
    kept = [i for i in items if i.link or i.text or i.title]
    return kept, {i.position: NOTHING_IN_IT for i in items if not (i.link or i.text or i.title)}


def _none_kept(dropped: dict[int, str]) -> str:
    which = "its only entry is no item" if len(dropped) == 1 else f"none of its {len(dropped)} entries is an item"
    return f"{which}: {'; '.join(sorted(set(dropped.values())))}"


def _bozo_reason(parsed: Any) -> str:
    exc = parsed.get("bozo_exception")
    return f"malformed feed: {type(exc).__name__}: {exc}" if exc else "malformed feed"


def _what_it_was(url: str, parsed: Any, data: bytes) -> str:
    head = data.lstrip()[:200].lower()
    if b"<html" in head or b"<!doctype html" in head:
        linked = discover_feeds(url, data)
        if linked:
            return f" (the URL returned an HTML page, not a feed; the page links to the feed {linked[0]}: register that instead)"
        return " (the URL returned an HTML page, not a feed, and the page links to none; try `newsworker feeds add` on the site's home page)"
    if not parsed.get("version"):
        return " (not a recognisable RSS, Atom, RDF or JSON feed)"
    return ""


def _xml_item(position: int, entry: Any, base: str) -> FeedItem:
    content = ""
    if entry.get("content"):
        content = fragment_text(max((c.get("value", "") for c in entry.content), key=len))
    authors = [a.get("name") for a in entry.get("authors", []) if a.get("name")]
    return FeedItem(
        position=position,
        entry_id=entry.get("id") or entry.get("guid") or None,
        link=_entry_link(entry, base),
        title=_detail_text(entry, "title") or None,
        summary=_detail_text(entry, "summary"),
        content=content,
        published=_struct_time(entry.get("published_parsed") or entry.get("updated_parsed"))
        or entry.get("published") or entry.get("updated"),
        authors=authors or ([entry.author] if entry.get("author") else []),
    )


def _entry_link(entry: Any, base: str) -> str | None:
    """The entry's page, absolute: feedparser's link (xml:base applied; a relative one resolved
    against ``base``), or its first http(s) alternate link when feedparser fell back to a
    non-web id ("tag:..." for an entry whose alternate is a PDF)."""
    alternates = [link.get("href") for link in entry.get("links", []) if link.get("rel", "alternate") == "alternate"]
    found = [u for u in (absolute(base, c) for c in [entry.get("link"), *alternates]) if u]
    return next((u for u in found if urlsplit(u).scheme in ("http", "https")), found[0] if found else None)


def absolute(base: str, link: Any) -> str | None:
    """``link`` made absolute against ``base``, as a reader resolves it; None when empty."""
    if not isinstance(link, str) or not link.strip():
        return None
    try:
        return urljoin(base, link.strip())
    except ValueError:  # "http://[::1" and the like: kept as the feed wrote it
        return link.strip()


def _detail_text(entry: Any, name: str) -> str:
    """A text construct as text: HTML is rendered, plain text is taken as it is."""
    value = entry.get(name, "") or ""
    kind = (entry.get(f"{name}_detail") or {}).get("type", "text/html")
    return clean_text(value) if kind == "text/plain" else fragment_text(value)


def _struct_time(value: time.struct_time | None) -> str | None:
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=timezone.utc).isoformat()
    except (TypeError, ValueError):
        return None


def parse_json_feed(url: str, data: bytes, base: str | None = None) -> ParsedFeed:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, 4,300-digit integers
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]
        raise FeedParseError(url, f"JSON feed is not valid JSON: {reason}") from None
    if isinstance(doc, dict) and isinstance(doc.get("rss"), dict):
        return _rss_in_json(url, doc["rss"], base or url)
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(JSON_FEED_VERSIONS):
        raise FeedParseError(url, "JSON document is neither a JSON Feed (no jsonfeed.org version) nor RSS in JSON "
                                  "(no \"rss\" object)")
    raw_items = doc.get("items")
    if not isinstance(raw_items, list):
        raise FeedParseError(url, "JSON Feed has no items list")
    items, dropped = _kept([_json_item(n, i, base or url) for n, i in enumerate(raw_items, start=1) if isinstance(i, dict)])
    dropped.update({n: NOT_AN_OBJECT for n, i in enumerate(raw_items, start=1) if not isinstance(i, dict)})
    if not items:
        raise FeedParseError(url, _none_kept(dropped) if dropped else "no items in the JSON Feed")
    return ParsedFeed(title=_str(doc.get("title")), link=absolute(base or url, doc.get("home_page_url")), items=items,
                      dropped=dict(sorted(dropped.items())))


def _rss_in_json(url: str, rss: dict[str, Any], base: str) -> ParsedFeed:
    """RSS 2.0 written as JSON (Scripting News's rss.json: the same elements, "channel" and its
    "item" list, as keys): read as the RSS it is."""
    channel = rss.get("channel")
    raw_items = channel.get("item") if isinstance(channel, dict) else None
    if isinstance(raw_items, dict):
        raw_items = [raw_items]  # one item is written as an object, not a list of one
    if not isinstance(raw_items, list):
        raise FeedParseError(url, "RSS in JSON has no channel.item list")
    items, dropped = _kept([_rss_json_item(n, i, base) for n, i in enumerate(raw_items, start=1) if isinstance(i, dict)])
    dropped.update({n: NOT_AN_OBJECT for n, i in enumerate(raw_items, start=1) if not isinstance(i, dict)})
    if not items:
        raise FeedParseError(url, _none_kept(dropped) if dropped else "no items in the RSS in JSON")
    return ParsedFeed(title=_str(channel.get("title")), link=absolute(base, _str(channel.get("link"))), items=items,
                      dropped=dict(sorted(dropped.items())))


def _rss_json_item(position: int, item: dict[str, Any], base: str) -> FeedItem:
    guid = item.get("guid")
    guid = _str(guid.get("#value")) if isinstance(guid, dict) else _str(guid)
    author = _str(item.get("author")) or _str(item.get("dc:creator"))
    return FeedItem(
        position=position,
        entry_id=guid,
        link=absolute(base, _str(item.get("link")) or (guid if guid and guid.startswith(("http://", "https://")) else None)),
        title=fragment_text(_str(item.get("title")) or "") or None,
        summary=fragment_text(_str(item.get("description")) or ""),
        content=fragment_text(_str(item.get("content:encoded")) or ""),
        published=_rfc822(_str(item.get("pubDate"))),
        authors=[author] if author else [],
    )


def _rfc822(value: str | None) -> str | None:
    """An RSS date ("Mon, 26 Jun 2017 12:20:05 GMT") as ISO 8601; as written when unreadable."""
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return value


def _json_item(position: int, item: dict[str, Any], base: str) -> FeedItem:
    html = _str(item.get("content_html"))
    text = _str(item.get("content_text"))
    authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
    if not isinstance(authors, list):
        authors = []
    return FeedItem(
        position=position,
        entry_id=_str(item.get("id")) or (str(item["id"]) if isinstance(item.get("id"), (int, float)) else None),
        link=absolute(base, _str(item.get("url")) or _str(item.get("external_url"))),
        title=_str(item.get("title")),
        summary=clean_text(_str(item.get("summary")) or ""),  # plain text by the spec
        content=text or (fragment_text(html) if html else ""),
        published=_str(item.get("date_published")) or _str(item.get("date_modified")),
        authors=[a["name"] for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)],
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
