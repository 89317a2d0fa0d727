"""Unit tests for feed parsing (worker.feeds.parse), fragment_text and feed autodiscovery.

Pure: every feed is written inline as bytes; no network, no servers.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from worker.feeds.discover import discover_feeds, looks_like_html
from worker.feeds.errors import FeedParseError
from worker.feeds.parse import NOT_AN_OBJECT, NOTHING_IN_IT, FeedItem, ParsedFeed, parse_feed
from worker.sources.html import fragment_text

URL = "https://example.com/feed"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def _json_feed(items: list, **feed) -> bytes:
    return json.dumps({"version": JSON_FEED_VERSION, "title": "JF", **feed, "items": items}).encode("utf-8")


def _is_utc_iso(value: str) -> bool:
    parsed = datetime.fromisoformat(value)
    return parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0


# -- RSS 0.91 -------------------------------------------------------------------------

RSS_091 = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91">
  <channel>
    <title>Old School News</title>
    <link>http://old.example.com/</link>
    <description>News the 1999 way</description>
    <language>en-us</language>
    <item>
      <title>First headline</title>
      <link>http://old.example.com/1.html</link>
      <description>The first story &amp; more.</description>
    </item>
    <item>
      <title>Second headline</title>
      <link>http://old.example.com/2.html</link>
      <description>The second story.</description>
    </item>
  </channel>
</rss>
"""


def test_rss_091_items_titles_links_and_summaries():
    feed = parse_feed(URL, RSS_091)
    assert isinstance(feed, ParsedFeed)
    assert feed.title == "Old School News"
    assert feed.link == "http://old.example.com/"
    assert feed.problem is None
    assert [i.title for i in feed.items] == ["First headline", "Second headline"]
    assert [i.link for i in feed.items] == ["http://old.example.com/1.html", "http://old.example.com/2.html"]
    first = feed.items[0]
    assert first.summary == "The first story & more."
    assert first.content == ""
    assert first.text == "The first story & more."
    assert first.published is None


# -- RSS 1.0 (RDF) --------------------------------------------------------------------

RSS_10 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://rdf.example.org/">
    <title>RDF Site</title>
    <link>http://rdf.example.org/</link>
    <description>An RSS 1.0 channel</description>
    <items>
      <rdf:Seq>
        <rdf:li resource="http://rdf.example.org/a"/>
        <rdf:li resource="http://rdf.example.org/b"/>
      </rdf:Seq>
    </items>
  </channel>
  <item rdf:about="http://rdf.example.org/a">
    <title>Item A</title>
    <link>http://rdf.example.org/a</link>
    <description>About A.</description>
    <dc:date>2024-03-05T10:00:00+01:00</dc:date>
    <dc:creator>Ada Lovelace</dc:creator>
  </item>
  <item rdf:about="http://rdf.example.org/b">
    <title>Item B</title>
    <link>http://rdf.example.org/b</link>
    <description>About B.</description>
  </item>
</rdf:RDF>
"""


def test_rss_10_rdf_items_outside_the_channel_are_read():
    feed = parse_feed(URL, RSS_10)
    assert feed.title == "RDF Site"
    assert [i.title for i in feed.items] == ["Item A", "Item B"]
    a = feed.items[0]
    assert a.link == "http://rdf.example.org/a"
    assert a.summary == "About A."
    assert a.authors == ["Ada Lovelace"]
    # dc:date with a +01:00 offset becomes ISO 8601 in UTC
    assert a.published == "2024-03-05T09:00:00+00:00"
    assert _is_utc_iso(a.published)


# -- RSS 2.0 with content:encoded -----------------------------------------------------

RSS_20 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Daily Example</title>
    <link>https://daily.example.com/</link>
    <description>All the news</description>
    <item>
      <title>Budget passes after all-night session</title>
      <link>https://daily.example.com/budget</link>
      <guid isPermaLink="false">daily-1234</guid>
      <pubDate>Tue, 05 Mar 2024 23:30:00 +0200</pubDate>
      <dc:creator>Jo Reporter</dc:creator>
      <description>Short teaser.</description>
      <content:encoded><![CDATA[<p>The budget passed at dawn.</p><p>Members voted 301 to 280 &amp; went home.</p><script>track()</script>]]></content:encoded>
    </item>
    <item>
      <title>Second story</title>
      <link>https://daily.example.com/second</link>
      <pubDate>Wed, 06 Mar 2024 08:00:00 GMT</pubDate>
      <description>&lt;p&gt;Only a &lt;b&gt;summary&lt;/b&gt; here.&lt;/p&gt;</description>
    </item>
  </channel>
</rss>
"""


def test_rss_20_content_encoded_is_preferred_and_turned_into_paragraphs():
    feed = parse_feed(URL, RSS_20, "application/rss+xml; charset=utf-8")
    assert feed.title == "Daily Example"
    assert feed.link == "https://daily.example.com/"
    first = feed.items[0]
    assert first.entry_id == "daily-1234"
    assert first.link == "https://daily.example.com/budget"
    assert first.title == "Budget passes after all-night session"
    assert first.summary == "Short teaser."
    assert first.content == "The budget passed at dawn.\n\nMembers voted 301 to 280 & went home."
    assert "<" not in first.content and "track()" not in first.content
    assert first.text == first.content  # content preferred over the description
    assert first.authors == ["Jo Reporter"]


def test_rss_20_pubdate_normalised_to_iso_utc():
    items = parse_feed(URL, RSS_20).items
    assert items[0].published == "2024-03-05T21:30:00+00:00"
    assert items[1].published == "2024-03-06T08:00:00+00:00"
    assert all(_is_utc_iso(i.published) for i in items)


def test_rss_20_escaped_html_description_becomes_text():
    second = parse_feed(URL, RSS_20).items[1]
    assert second.summary == "Only a summary here."
    assert second.content == ""
    assert second.text == "Only a summary here."
    assert second.entry_id is None


def test_item_text_prefers_the_longer_of_content_and_summary():
    assert FeedItem(summary="a long summary here", content="short").text == "a long summary here"
    assert FeedItem(summary="short", content="the full content").text == "the full content"
    assert FeedItem(summary="", content="").text == ""


# -- Atom 1.0 -------------------------------------------------------------------------

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom Example</title>
  <link rel="alternate" href="https://atom.example.net/"/>
  <link rel="self" href="https://atom.example.net/feed.atom"/>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2024-05-01T12:00:00Z</updated>
  <entry>
    <title>Atom entry one</title>
    <link rel="self" href="https://atom.example.net/api/1"/>
    <link rel="alternate" type="text/html" href="https://atom.example.net/posts/1"/>
    <link rel="enclosure" href="https://atom.example.net/1.mp3"/>
    <id>tag:atom.example.net,2024:1</id>
    <published>2024-04-30T08:15:00-04:00</published>
    <updated>2024-05-01T09:00:00Z</updated>
    <author><name>Grace Hopper</name><email>grace@example.net</email></author>
    <summary>A summary of entry one.</summary>
    <content type="html">&lt;h2&gt;Heading&lt;/h2&gt;&lt;p&gt;First paragraph with &amp;amp; entity.&lt;/p&gt;&lt;p&gt;Second paragraph.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Atom entry two</title>
    <link href="https://atom.example.net/posts/2"/>
    <id>tag:atom.example.net,2024:2</id>
    <updated>2024-05-02T10:00:00+02:00</updated>
    <summary>Only updated, no published.</summary>
  </entry>
</feed>
"""


def test_atom_id_alternate_link_author_and_html_content():
    feed = parse_feed(URL, ATOM, "application/atom+xml")
    assert feed.title == "Atom Example"
    assert feed.link == "https://atom.example.net/"
    one = feed.items[0]
    assert one.entry_id == "tag:atom.example.net,2024:1"
    assert one.link == "https://atom.example.net/posts/1"  # rel=alternate, not self or enclosure
    assert one.title == "Atom entry one"
    assert one.authors == ["Grace Hopper"]
    assert one.summary == "A summary of entry one."
    assert one.content == "Heading\n\nFirst paragraph with & entity.\n\nSecond paragraph."
    assert one.text == one.content


def test_atom_published_preferred_then_updated_both_in_utc():
    items = parse_feed(URL, ATOM).items
    assert items[0].published == "2024-04-30T12:15:00+00:00"  # published wins over updated
    assert items[1].published == "2024-05-02T08:00:00+00:00"  # only updated: used, in UTC
    assert items[1].link == "https://atom.example.net/posts/2"  # link without rel is alternate


# -- JSON Feed 1.1 --------------------------------------------------------------------

JSON_FEED = _json_feed(
    [
        {
            "id": "https://jf.example.org/1",
            "url": "https://jf.example.org/posts/1",
            "title": "JSON one",
            "content_html": "<p>Para one.</p><p>Para two &amp; three.</p><style>p{}</style>",
            "summary": "One-line summary.",
            "date_published": "2024-02-01T10:00:00Z",
            "authors": [{"name": "Ann Author"}, {"url": "https://no-name.example"}, {"name": "Bo Writer"}],
        },
        {
            "id": 42,
            "external_url": "https://elsewhere.example.com/story",
            "title": "JSON two",
            "content_text": "Plain text body.\n\nSecond para.",
            "content_html": "<p>ignored when content_text is present and longer</p>",
            "date_modified": "2024-02-02T10:00:00Z",
        },
        {
            "id": "3",
            "url": "https://jf.example.org/posts/3",
            "content_text": "No title here.",
            "author": {"name": "Legacy Author"},
        },
    ],
    home_page_url="https://jf.example.org/",
)


def test_json_feed_items_fields():
    feed = parse_feed(URL, JSON_FEED, "application/feed+json")
    assert feed.title == "JF"
    assert feed.link == "https://jf.example.org/"
    assert feed.problem is None
    one, two, three = feed.items
    assert one.entry_id == "https://jf.example.org/1"
    assert one.link == "https://jf.example.org/posts/1"
    assert one.title == "JSON one"
    assert one.content == "Para one.\n\nPara two & three."
    assert one.summary == "One-line summary."
    assert one.text == one.content
    assert one.published == "2024-02-01T10:00:00Z"
    assert one.authors == ["Ann Author", "Bo Writer"]

    assert two.entry_id == "42"  # numeric id as a string
    assert two.link == "https://elsewhere.example.com/story"  # external_url when no url
    assert two.content == "Plain text body.\n\nSecond para."  # content_text preferred
    assert two.published == "2024-02-02T10:00:00Z"  # date_modified fallback
    assert two.authors == []

    assert three.title is None
    assert three.authors == ["Legacy Author"]  # JSON Feed 1.0 "author" object


def test_json_feed_detected_without_content_type():
    feed = parse_feed(URL, b"  \n" + JSON_FEED)
    assert [i.title for i in feed.items] == ["JSON one", "JSON two", None]


def test_json_feed_skips_non_object_items_and_notes_it():
    feed = parse_feed(URL, _json_feed([None, "x", {"id": "1", "content_text": "kept"}]))
    assert [i.entry_id for i in feed.items] == ["1"]
    assert feed.dropped == {1: NOT_AN_OBJECT, 2: NOT_AN_OBJECT} and feed.items[0].position == 3


def test_json_document_that_is_not_a_json_feed():
    with pytest.raises(FeedParseError) as err:
        parse_feed(URL, json.dumps({"items": [{"id": "1", "content_text": "x"}]}).encode(), "application/json")
    assert "neither a JSON Feed" in err.value.reason and "nor RSS in JSON" in err.value.reason
    assert err.value.url == URL


def test_rss_written_as_json_is_read_as_the_rss_it_is():
    # Scripting News's rss.json: RSS 2.0's elements as JSON keys, items with only a description.
    doc = {"rss": {"version": "2.0", "channel": {"title": "Scripting News", "link": "http://scripting.com/", "item": [
        {"link": "http://scripting.com/2017/06/26.html#a080605", "description": "Good morning <b>students</b>!",
         "pubDate": "Mon, 26 Jun 2017 12:20:05 GMT", "guid": "http://scripting.com/2017/06/26.html#a080605"},
        {"title": "A post", "link": "/2017/06/26/post.html", "description": "Its text.",
         "guid": {"isPermaLink": "false", "#value": "post-2"}, "pubDate": "not a date"},
        "not an item"]}}}
    feed = parse_feed(URL, json.dumps(doc).encode(), "application/json")
    assert (feed.title, feed.link) == ("Scripting News", "http://scripting.com/")
    one, two = feed.items
    assert (one.entry_id, one.link, one.title) == ("http://scripting.com/2017/06/26.html#a080605",
                                                   "http://scripting.com/2017/06/26.html#a080605", None)
    assert one.summary == "Good morning students!" and one.published == "2017-06-26T12:20:05+00:00"
    assert (two.entry_id, two.title, two.published) == ("post-2", "A post", "not a date")
    assert two.link == "https://example.com/2017/06/26/post.html"  # resolved against the feed URL
    assert feed.dropped == {3: NOT_AN_OBJECT}
    with pytest.raises(FeedParseError, match="no channel.item list"):
        parse_feed(URL, json.dumps({"rss": {"channel": {}}}).encode(), "application/json")


def test_json_feed_invalid_json_and_empty_items():
    with pytest.raises(FeedParseError, match="not valid JSON"):
        parse_feed(URL, b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "application/feed+json")
    with pytest.raises(FeedParseError, match="no items"):
        parse_feed(URL, _json_feed([]))
    with pytest.raises(FeedParseError, match="no items list"):
        parse_feed(URL, json.dumps({"version": JSON_FEED_VERSION, "items": {"a": 1}}).encode())


def test_json_feed_deeply_nested_is_a_parse_error_not_a_crash():
    with pytest.raises(FeedParseError):
        parse_feed(URL, b'{"a":' * 50_000 + b"1" + b"}" * 50_000)


@pytest.mark.parametrize("authors", [5, True])
def test_json_feed_non_list_authors_is_tolerated(authors):
    feed = parse_feed(URL, _json_feed([{"id": "1", "content_text": "body", "authors": authors}]))
    assert feed.items[0].authors == []


def test_json_feed_plain_text_summary_keeps_angle_brackets():
    feed = parse_feed(URL, _json_feed([{"id": "1", "content_text": "body", "summary": "if x <y and y> z"}]))
    assert feed.items[0].summary == "if x <y and y> z"


# -- malformed, empty and wrong bodies ------------------------------------------------


def test_bozo_feed_with_unescaped_ampersand_still_yields_items():
    data = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Bozo</title>
<item><title>Fish & Chips</title><link>http://bozo.example.com/1</link><description>Tasty.</description></item>
<item><title>Second</title><link>http://bozo.example.com/2</link><description>More.</description></item>
</channel></rss>"""
    feed = parse_feed(URL, data)
    assert [i.title for i in feed.items] == ["Fish & Chips", "Second"]
    assert feed.problem is not None and feed.problem.startswith("malformed feed")


def test_bozo_feed_with_missing_closing_tags_still_yields_items():
    data = b"""<rss version="2.0"><channel><title>Cut</title>
<item><title>Only item</title><link>http://cut.example.com/1</link><description>d</description></item>"""
    feed = parse_feed(URL, data)
    assert [i.link for i in feed.items] == ["http://cut.example.com/1"]
    assert feed.problem and "malformed" in feed.problem


def test_feed_with_no_entries_is_a_parse_error():
    data = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Empty</title><link>http://e.example/</link></channel></rss>'
    with pytest.raises(FeedParseError) as err:
        parse_feed(URL, data)
    assert "no entries" in err.value.reason


def test_items_with_nothing_in_them_are_dropped():
    data = b"""<rss version="2.0"><channel><title>T</title><item></item><item><title>Real</title></item></channel></rss>"""
    feed = parse_feed(URL, data)
    assert [i.title for i in feed.items] == ["Real"] and feed.dropped == {1: NOTHING_IN_IT}
    with pytest.raises(FeedParseError, match="its only entry is no item: entry has nothing in it"):
        parse_feed(URL, b'<rss version="2.0"><channel><title>T</title><item></item></channel></rss>')


def test_html_page_served_as_a_feed():
    page = b"""<!DOCTYPE html>
<html lang="en"><head><title>Blog</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head>
<body><h1>Welcome</h1><p>Posts below.</p></body></html>"""
    with pytest.raises(FeedParseError) as err:
        parse_feed(URL, page, "text/html; charset=utf-8")
    assert "HTML" in err.value.reason
    assert URL in str(err.value)


@pytest.mark.parametrize("body", [b"", b"   \n\t", b"not a feed at all", b"[1, 2, 3]"])
def test_empty_and_unrecognisable_bodies(body):
    with pytest.raises(FeedParseError) as err:
        parse_feed(URL, body)
    assert err.value.reason


def test_latin1_feed_keeps_accents():
    data = (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n'
        '<rss version="2.0"><channel><title>Caf\xe9 du Monde</title>'
        "<item><title>Cr\xe8me br\xfbl\xe9e \xe0 la fran\xe7aise</title>"
        "<link>http://fr.example.com/1</link><description>\xc9t\xe9 \xf1and\xfa \xdf</description></item>"
        "</channel></rss>"
    ).encode("iso-8859-1")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the body really is not UTF-8
    feed = parse_feed(URL, data)
    assert feed.title == "Café du Monde"
    assert feed.items[0].title == "Crème brûlée à la française"
    assert feed.items[0].summary == "Été ñandú ß"


def test_atom_plain_text_title_keeps_escaped_angle_brackets():
    data = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id><updated>2024-01-01T00:00:00Z</updated>
<entry><id>urn:1</id><title type="text">Why x &lt;y and y&gt; z matters</title>
<link href="http://ex.example/1"/><updated>2024-01-01T00:00:00Z</updated><summary>s</summary></entry></feed>"""
    assert parse_feed(URL, data).items[0].title == "Why x <y and y> z matters"


# -- fragment_text --------------------------------------------------------------------


def test_fragment_text_drops_scripts_and_styles():
    html = "<script>var secret = 1;</script><p>Visible</p><style>p { color: red }</style><noscript>no</noscript>"
    assert fragment_text(html) == "Visible"


def test_fragment_text_separates_blocks_with_blank_lines():
    html = "<h1>Title</h1><p>One <em>inline</em> bit.</p><div>Two</div><ul><li>a</li><li>b</li></ul>"
    assert fragment_text(html) == "Title\n\nOne inline bit.\n\nTwo\n\na\n\nb"


def test_fragment_text_unescapes_entities():
    assert fragment_text("<p>Fish &amp; chips &eacute;t&eacute; &#8364;5 &lt;3</p>") == "Fish & chips été €5 <3"
    assert fragment_text("AT&amp;T &quot;quoted&quot;") == 'AT&T "quoted"'


def test_fragment_text_plain_text_passes_through():
    assert fragment_text("Just plain text.") == "Just plain text."
    assert fragment_text("  spaced   out\n\n\n\nlines  ") == "spaced out\n\nlines"
    assert fragment_text("3 < 5 and 6 > 2") == "3 < 5 and 6 > 2"
    assert fragment_text("") == ""


def test_fragment_text_whole_document_and_comments():
    assert fragment_text("<html><body><p>a</p><!-- hidden --><p>b</p></body></html>") == "a\n\nb"


# -- discovery ------------------------------------------------------------------------

PAGE = b"""<!DOCTYPE html>
<html><head>
<title>Blog</title>
<link rel="stylesheet" type="text/css" href="/style.css">
<link rel="alternate" type="application/atom+xml" title="Atom" href="atom.xml">
<link rel="alternate" hreflang="fr" href="/fr/blog/">
<link rel="alternate" type="text/html" hreflang="de" href="/de/blog/">
<link rel="alternate" type="application/feed+json" href="https://cdn.example.com/feed.json">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">
<link rel="Alternate" type="application/RSS+XML; charset=utf-8" href="https://example.com/rss.xml">
<link rel="alternate" type="application/rss+xml" href="../comments/rss.xml">
</head><body><a href="/other.xml">not a link element</a></body></html>"""


def test_discover_finds_feeds_in_order_resolved_and_deduplicated():
    found = discover_feeds("https://example.com/blog/post.html", PAGE)
    assert found == [
        "https://example.com/rss.xml",  # RSS first, in page order
        "https://example.com/comments/rss.xml",
        "https://example.com/blog/atom.xml",  # relative to the page URL
        "https://cdn.example.com/feed.json",
    ]
    assert len(found) == len(set(found))
    assert not any("/fr/" in u or "/de/" in u or u.endswith(".css") for u in found)


def test_discover_resolves_against_base_href():
    page = b"""<html><head><base href="/static/feeds/">
<link rel="alternate" type="application/atom+xml" href="atom.xml">
<link rel="alternate" type="application/rss+xml" href="rss.xml">
</head><body></body></html>"""
    assert discover_feeds("https://example.com/a/b.html", page) == [
        "https://example.com/static/feeds/rss.xml",
        "https://example.com/static/feeds/atom.xml",
    ]
    absolute = page.replace(b"/static/feeds/", b"https://feeds.example.org/x/")
    assert discover_feeds("https://example.com/a/b.html", absolute)[0] == "https://feeds.example.org/x/rss.xml"


def test_discover_accepts_str_and_finds_nothing_on_featureless_pages():
    page = "<html><head><link rel='alternate' type='application/rss+xml' href='r.xml'></head></html>"
    assert discover_feeds("https://example.com/d/", page) == ["https://example.com/d/r.xml"]
    assert discover_feeds("https://example.com/", b"") == []
    assert discover_feeds("https://example.com/", b"<html><head><link rel='alternate' hreflang='en' href='/en/'></head></html>") == []


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [
        (b"<!DOCTYPE html><html><head>", "", True),
        (b"\n  <HTML lang='en'>", "", True),
        (b"<rss version='2.0'>", "text/html; charset=utf-8", True),
        (b"<rss version='2.0'>", "application/xhtml+xml", True),
        (b'<?xml version="1.0"?><rss version="2.0"><channel>', "application/rss+xml", False),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">', "", False),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', "application/feed+json", False),
        (b"", "", False),
    ],
)
def test_looks_like_html(data, content_type, expected):
    assert looks_like_html(data, content_type) is expected


def test_relative_links_are_resolved_against_xml_base_then_the_base_given():
    data = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example/b/"><title>T</title><id>urn:t</id>
<entry><id>urn:1</id><title>Post</title><link href="post/"/></entry>
<entry><id>tag:blog.example,2024:tesi</id><title>Thesis</title><link rel="alternate" type="application/pdf" href="tesi.pdf"/></entry>
</feed>"""
    post, thesis = parse_feed(URL, data).items
    assert post.link == "https://blog.example/b/post/"
    assert thesis.link == "https://blog.example/b/tesi.pdf"  # not the tag: id feedparser falls back to
    rss = b'<rss version="2.0"><channel><title>T</title><link>/</link><item><title>A</title><link>/news/1</link></item></channel></rss>'
    feed = parse_feed(URL, rss, base="https://www.site.example/feeds/rss.xml")
    assert (feed.link, feed.items[0].link) == ("https://www.site.example/", "https://www.site.example/news/1")
    doc = {"version": JSON_FEED_VERSION, "home_page_url": "/", "items": [{"id": "1", "url": "/a/1", "content_text": "x"}]}
    feed = parse_feed(URL, json.dumps(doc).encode(), base="https://j.example/feed.json")
    assert (feed.link, feed.items[0].link) == ("https://j.example/", "https://j.example/a/1")
