"""Dropping already-seen items before the full parse: never drops what a full parse needs."""

from __future__ import annotations

from worker.feeds.parse import FeedItem, parse_feed
from worker.feeds.poll import item_keys
from worker.feeds.prefilter import drop_seen

FEED = "http://feeds.example/rss"
RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire &amp; Co</title>
<item><title>One</title><guid isPermaLink="false">a&amp;1</guid><description>First story text.</description></item>
<item><title>Two</title><link>http://news.example/2?utm_source=rss</link><description>Second.</description></item>
<item><title>Three</title><description>No guid, no link.</description></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Wire</title>
<entry><id>urn:x:1</id><title>One</title><link rel="alternate" href="http://news.example/a1"/><summary>S1</summary></entry>
<entry><id>urn:x:2</id><title>Two</title><link rel="self" href="http://api.example/2"/><summary>S2</summary></entry>
</feed>"""


def _keys_of(data: bytes) -> list[list[str]]:
    return [item_keys(FEED, item) for item in parse_feed(FEED, data).items]


def test_keys_agree_with_the_full_parse():
    # An item is dropped only under a key the full parse would give it too.
    full = _keys_of(RSS)
    done = {full[0][0], full[1][0]}  # the guid key of item one, the link key of item two
    result = drop_seen(RSS, FEED, lambda keys: any(k in done for k in keys))
    assert (result.total, result.dropped, result.title) == (3, 2, "Wire & Co")
    assert [i.title for i in parse_feed(FEED, result.data).items] == ["Three"]


def test_items_without_guid_or_link_are_never_dropped():
    result = drop_seen(RSS, FEED, lambda keys: True)
    assert [i.title for i in parse_feed(FEED, result.data).items] == ["Three"]


def test_all_seen_means_nothing_to_parse():
    atom_keys = _keys_of(ATOM)
    done = {k for keys in atom_keys for k in keys}
    result = drop_seen(ATOM, FEED, lambda keys: any(k in done for k in keys))
    assert (result.data, result.total, result.dropped, result.title) == (None, 2, 2, "Atom Wire")


def test_atom_uses_the_alternate_link_not_self():
    seen_link = f"link:{FEED}:http://api.example/2"
    assert drop_seen(ATOM, FEED, lambda keys: seen_link in keys) is None


def test_nothing_seen_or_unusual_input_parses_the_original():
    assert drop_seen(RSS, FEED, lambda keys: False) is None
    assert drop_seen(b"<rss><channel><item>broken", FEED, lambda keys: True) is None
    assert drop_seen(b'{"version": "https://jsonfeed.org/version/1.1"}', FEED, lambda keys: True) is None
    rdf = b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    assert drop_seen(rdf, FEED, lambda keys: True) is None


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = f"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>
<rss version="2.0"><channel><title>T</title><item><title>&x;</title><guid>g1</guid></item><item><title>B</title><guid>g2</guid></item></channel></rss>""".encode()
    result = drop_seen(xxe, FEED, lambda keys: f"id:{FEED}:g2" in keys)
    assert result is not None and b"TOP-SECRET" not in (result.data or b"")


def test_item_keys_match_what_feedparser_gives():
    item = FeedItem(entry_id="a&1", link="http://news.example/2?utm_source=rss", title="x", summary="y")
    assert item_keys(FEED, item) == [f"id:{FEED}:a&1"]
    no_guid = FeedItem(link="http://news.example/2?utm_source=rss", title="x", summary="y")
    assert item_keys(FEED, no_guid)[0] == f"link:{FEED}:http://news.example/2"


def test_relative_links_give_the_keys_the_full_parse_gives():
    """Issue 14: links are resolved (xml:base, then the feed's base) before they are keys."""
    base = "http://site.example/feeds/rss"
    rss = b"""<rss version="2.0"><channel><title>T</title>
<item><title>One</title><link>/news/1</link><description>First.</description></item>
<item><title>Two</title><link>/news/2</link><description>Second.</description></item></channel></rss>"""
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/blog/"><title>A</title>
<entry><title>One</title><link href="one.html"/><summary>S1</summary></entry>
<entry><title>Two</title><link href="two.html"/><summary>S2</summary></entry></feed>"""
    for data in (rss, atom):
        first = [item_keys(FEED, item) for item in parse_feed(FEED, data, base=base).items][0]
        result = drop_seen(data, FEED, lambda keys: any(k in first for k in keys), base)
        assert result.dropped == 1 and [i.title for i in parse_feed(FEED, result.data, base=base).items] == ["Two"]
