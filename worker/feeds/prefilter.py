"""Dropping items already seen from a well-formed feed before the (slow) full parse.

Most polls of a busy feed carry one or two new items among twenty. feedparser's cost is
per element, so items whose guid/id or link is already taken in the ledger are removed
with lxml first. Anything unusual (malformed XML, RDF, JSON, an item without guid or
link) is left in, so the result is never less than a full parse would find.
"""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

from lxml import etree

from ..normalize.identity import item_url
from .parse import absolute

ATOM = "{http://www.w3.org/2005/Atom}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=False, huge_tree=False)


class Prefiltered:
    def __init__(self, data: bytes | None, total: int, dropped: int, title: str | None):
        self.data = data  # the reduced feed, or None when nothing new is left
        self.total = total
        self.dropped = dropped
        self.title = title


def drop_seen(data: bytes, feed_url: str, is_taken: Callable[[list[str]], bool], base: str | None = None) -> Prefiltered | None:
    """The feed without its already-seen items, or None to parse the original as it is.
    ``base``: what relative links are relative to, as parse_feed is told."""
    if data.lstrip()[:1] != b"<":
        return None
    try:
        # base_url: lxml then resolves xml:base against it (Element.base), as feedparser does.
        root = etree.fromstring(data, _PARSER, base_url=base or feed_url)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.tag == "rss":
        channel = root.find("channel")
        items, title = (channel.findall("item"), channel.findtext("title")) if channel is not None else ([], None)
        keys_of = lambda item: _keys(feed_url, item.findtext("guid"), _resolved(item.find("link"), item.findtext("link")))  # noqa: E731
    elif root.tag == f"{ATOM}feed":
        items, title = root.findall(f"{ATOM}entry"), root.findtext(f"{ATOM}title")
        keys_of = lambda entry: _keys(feed_url, entry.findtext(f"{ATOM}id"), _atom_link(entry))  # noqa: E731
    else:
        return None
    seen = [item for item in items if (keys := keys_of(item)) and is_taken(keys)]
    if not seen:
        return None
    for item in seen:
        item.getparent().remove(item)
    remaining = len(items) - len(seen)
    reduced = etree.tostring(root, xml_declaration=True, encoding="utf-8") if remaining else None
    return Prefiltered(reduced, len(items), len(seen), (title or "").strip() or None)


def _keys(feed_url: str, entry_id: str | None, link: str | None) -> list[str]:
    # The same keys poll.item_keys derives from feedparser's view of the item.
    if entry_id and entry_id.strip():
        return [id_key(feed_url, unescape(entry_id.strip()))]
    if link and link.strip():
        return [link_key(feed_url, unescape(link.strip()))]
    return []


def id_key(feed_url: str, entry_id: str) -> str:
    """The ledger key of an item's id: ids are only unique within their feed."""
    return f"id:{feed_url}:{entry_id}"


def link_key(feed_url: str, link: str) -> str:
    """The ledger key of an item's link, per feed: a link one feed claims first must not keep
    another feed's item out (link squatting)."""
    return f"link:{feed_url}:{item_url(link) or link}"


def _atom_link(entry: etree._Element) -> str | None:
    for link in entry.findall(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return _resolved(link, link.get("href"))
    return None


def _resolved(element: etree._Element | None, link: str | None) -> str | None:
    """A link made absolute against its element's base (xml:base, else the feed's)."""
    if element is None or not link or not link.strip():
        return link
    return absolute(element.base or "", link)
