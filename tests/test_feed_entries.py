"""Issue 14: every entry of a feed arrives as an article or is named with a reason.

Each defect found on the real feeds (../shared/corpus/real-feeds) is reproduced here with a
two-item feed served on 127.0.0.1 and polled end to end into the store.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.httpserver import LocalServer, Reply
from tests.test_feed_poll import PARAGRAPH, _poll, runtime  # noqa: F401  (the fixture)
from worker.cli.main import cli
from worker.models import SearchQuery

RSS_HEAD = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Wire</title><link>http://wire.example/</link>'
ATOM_HEAD = '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{base}><title>Atom Wire</title><id>urn:wire</id><updated>2021-01-15T10:00:00Z</updated>'


def rss(*items: str) -> Reply:
    return Reply(200, (RSS_HEAD + "".join(f"<item>{i}</item>" for i in items) + "</channel></rss>").encode(),
                 {"Content-Type": "application/rss+xml"})


def atom(*entries: str, base: str = "", headers: dict[str, str] | None = None) -> Reply:
    head = ATOM_HEAD.format(base=f' xml:base="{base}"' if base else "")
    body = head + "".join(f"<entry>{e}<updated>2021-01-15T10:00:00Z</updated></entry>" for e in entries) + "</feed>"
    return Reply(200, body.encode(), {"Content-Type": "application/atom+xml", **(headers or {})})


def text(n: int) -> str:
    return PARAGRAPH.format(n=1000 + n)


def stored(runtime, report) -> list:
    return [runtime.store.get(o.id) for o in report.report.indexed]


def all_indexed(runtime, url: str) -> dict:
    """Poll ``url``, asserting every item was indexed; the stored articles by link."""
    report = _poll(runtime, url)
    assert (report.items, len(report.report.indexed), report.report.failed, report.skipped) == (report.new_items, report.new_items, [], [])
    return {a.url: a for a in stored(runtime, report)}


# -- 1. links that differ only by #fragment ---------------------------------------------------


PAGE = "http://scripting.example/2017/06/26.html"


@pytest.mark.parametrize("first, second", [
    pytest.param((f"{PAGE}#a080605", f"{PAGE}#a080605"), (f"{PAGE}#a030658", f"{PAGE}#a030658"), id="anchors-as-guids"),
    pytest.param((None, f"{PAGE}#a080605"), (None, f"{PAGE}#a030658"), id="anchors-without-guid"),
    pytest.param(("g1", "http://mnml.example/"), ("g2", "http://mnml.example/"), id="one-link-two-guids"),
])
def test_two_items_of_one_feed_that_one_link_would_collapse_are_two_articles(runtime, server, first, second):
    """Scripting News: 48 guids linking anchors of a few day pages gave 7 articles, silently;
    Daring Fireball: two posts linking one site gave one."""
    items = [(f"<guid isPermaLink='false'>{guid}</guid>" if guid else "") + f"<title>Look {n}</title><link>{link}</link>"
             f"<description>{text(n)}</description>" for n, (guid, link) in enumerate((first, second), start=1)]
    report = _poll(runtime, server.serve("/rss.xml", rss(*items)))
    assert (report.new_items, len(report.report.indexed), report.skipped) == (2, 2, [])
    assert sorted((a.title, a.url) for a in stored(runtime, report)) == [("Look 1", first[1]), ("Look 2", second[1])]
    assert runtime.store.stats().articles == 2


def test_twin_feeds_of_one_site_still_give_the_article_once_in_search(runtime, server):
    """The same article in a site's RSS and Atom feeds (same link, same text): a near-copy."""
    body = " ".join(text(n) for n in range(6))
    link = "http://site.example/2021/01/story"
    rss_url = server.serve("/rss.xml", rss(f"<title>Story</title><guid>{link}</guid><link>{link}</link><description>{body}</description>"))
    atom_url = server.serve("/atom.xml", atom(f"<id>tag:site,2021:1</id><title>Story</title><link href='{link}'/><content>{body}</content>"))
    first, second = _poll(runtime, rss_url), _poll(runtime, atom_url)
    [one], [other] = stored(runtime, first), stored(runtime, second)
    assert {one.duplicate_of, other.duplicate_of} == {None, one.id if other.duplicate_of else other.id}
    assert runtime.store.search(SearchQuery(text="negotiations")).total == 1


# -- 2. relative links ------------------------------------------------------------------------


def test_relative_links_resolve_against_the_feed_url_and_xml_base(runtime, server):
    url = server.serve("/blog/atom.xml", atom(
        f"<id>urn:1</id><title>Release</title><link href='/2025/08/26/x/'/><content>{text(1)}</content>",
        f"<id>urn:2</id><title>Notes</title><link xml:base='https://notes.example/n/' href='thoughts.html'/><content>{text(2)}</content>",
    ))
    report = _poll(runtime, url)
    assert sorted(a.url for a in stored(runtime, report)) == [server.url("/2025/08/26/x/"), "https://notes.example/n/thoughts.html"]


def test_relative_links_resolve_against_content_location(runtime, server):
    headers = {"Content-Location": "https://www.site.example/feeds/atom.xml"}
    url = server.serve("/atom.xml", atom(f"<id>urn:1</id><title>Release</title><link href='../2025/x/'/><content>{text(1)}</content>",
                                         f"<id>urn:2</id><title>Other</title><link href='y'/><content>{text(2)}</content>", headers=headers))
    report = _poll(runtime, url)
    assert sorted(a.url for a in stored(runtime, report)) == ["https://www.site.example/2025/x/", "https://www.site.example/feeds/y"]


def test_two_sites_linking_the_same_relative_path_give_two_articles(runtime, server):
    item = "<title>News one</title><link>/news/1</link><description>{}</description>"
    with LocalServer() as other:
        first = _poll(runtime, server.serve("/rss.xml", rss(item.format(text(1)), item.replace("1", "2").format(text(3)))))
        second = _poll(runtime, other.serve("/rss.xml", rss(item.format(text(1)), item.replace("1", "2").format(text(3)))))
        assert (first.new_items, second.new_items) == (2, 2)
        assert sorted(a.url for a in stored(runtime, second)) == [other.url("/news/1"), other.url("/news/2")]
    assert runtime.store.stats().articles == 4


# -- 3. text that layout took for the standfirst ---------------------------


def test_an_item_whose_content_is_shorter_than_its_summary_keeps_the_summary_as_body(runtime, server):
    url = server.serve("/rss.xml", rss(
        f"<title>Short content</title><guid>s1</guid><link>http://w.example/1</link><description>{text(1)}</description>"
        "<content:encoded><![CDATA[<p>Read on.</p>]]></content:encoded>",
        f"<title>Normal</title><guid>s2</guid><link>http://w.example/2</link><description>{text(2)}</description>",
    ))
    short = all_indexed(runtime, url)["http://w.example/1"]
    assert (short.body, short.standfirst) == (text(1), "")


# -- 6. JSON Feed with an http version URL ------------------------------------------------------


def test_json_feed_with_the_http_version_url_is_polled(runtime, server):
    doc = {"version": "http://jsonfeed.org/version/1", "title": "Pixel", "items": [
        {"id": "1", "url": "https://pixel.example/1", "title": "One", "content_html": f"<p>{text(1)}</p>"},
        {"id": "2", "url": "https://pixel.example/2", "title": "Two", "content_text": text(2)}]}
    url = server.serve("/feed.json", Reply(200, json.dumps(doc).encode(), {"Content-Type": "application/json"}))
    report = _poll(runtime, url)
    assert (report.status, report.new_items, len(report.report.indexed)) == ("ok", 2, 2)


# -- 4. and 7. headline-only items: the title repeated as the text, or no text -----------------------------------------------------------------------


COMMITS = atom(  # a GitHub commits feed: the commit message is the title and the whole content
    "<id>tag:github.com,2008:Grit::Commit/1</id><title>Fix 2,000 parser crashes</title>"
    "<link href='https://git.example/c/1'/><content type='html'>&lt;pre&gt;Fix 2,000 parser crashes&lt;/pre&gt;</content>",
    f"<id>tag:github.com,2008:Grit::Commit/2</id><title>Release 2.0</title><link href='https://git.example/c/2'/><content>{text(2)}</content>",
)
IMAGE_ONLY = rss(  # a news site whose description is only an image
    "<title>Fix 2,000 parser crashes</title><guid>h1</guid><link>https://git.example/c/1</link>"
    "<description><![CDATA[<img src='http://news.example/h1.jpg'/>]]></description>",
    f"<title>Full story</title><guid>h2</guid><link>http://news.example/h2</link><description>{text(2)}</description>",
)


@pytest.mark.parametrize("feed", [pytest.param(COMMITS, id="text-is-the-title"), pytest.param(IMAGE_ONLY, id="image-only")])
def test_a_headline_with_a_link_and_no_text_of_its_own_is_a_headline_article(runtime, server, feed):
    headline = all_indexed(runtime, server.serve("/feed", feed))["https://git.example/c/1"]
    assert (headline.title, headline.body, headline.headline_only) == ("Fix 2,000 parser crashes", "Fix 2,000 parser crashes", True)
    assert runtime.store.search(SearchQuery(text="parser crashes")).hits[0].id == headline.id
    shown = CliRunner().invoke(cli, ["show", headline.id])
    assert "headline only: the feed gave no text" in shown.output


def test_a_headline_of_a_full_article_feed_gets_its_page(runtime, server):
    page = "<html><head><title>Markets</title></head><body><article>" + "".join(
        f"<p>{text(40 + i)} Paragraph {i} says more about the markets.</p>" for i in range(6)) + "</article></body></html>"
    link = server.serve("/h1.html", Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"}))
    url = server.serve("/rss.xml", rss(
        f"<title>Markets rally</title><guid>h1</guid><link>{link}</link>",
        f"<title>Gone</title><guid>h2</guid><link>{server.url('/missing.html')}</link>",
    ))
    report = _poll(runtime, url, full_article=True)
    assert len(report.report.indexed) == 2
    fetched, missing = sorted(stored(runtime, report), key=lambda a: a.url)
    assert "Paragraph 5 says more about the markets" in fetched.body and not fetched.headline_only
    assert missing.headline_only and missing.body == "Gone"
    assert "full article fetch failed" in report.problem


# -- entries left out are named ------------------------------------------------------------


def test_an_entry_repeating_an_earlier_guid_is_skipped_with_a_reason_a_user_sees(runtime, server):
    link = "http://scripting.example/2017/06/25.html#a080631"
    url = server.serve("/rss.xml", rss(
        f"<guid>{link}</guid><link>{link}</link><description>{text(1)}</description>",
        f"<guid>{link}</guid><link>{link}</link><description>{text(2)}</description>",
    ))
    report = _poll(runtime, url)
    assert (report.items, report.new_items, len(report.report.indexed)) == (2, 1, 1)
    [skipped] = report.skipped
    assert skipped.origin == f"{url}#{link}" and "same id as entry 1" in skipped.reason
    assert "1 entry skipped" in runtime.feed_states.get(url).last_problem


def test_an_empty_entry_is_skipped_with_a_reason_naming_it(runtime, server):
    url = server.serve("/rss.xml", rss(f"<title>Good</title><guid>g1</guid><link>http://w.example/1</link><description>{text(1)}</description>",
                                       "<description>  </description>"))
    report = _poll(runtime, url)
    assert (report.items, len(report.report.indexed)) == (2, 1)
    [skipped] = report.skipped
    assert skipped.origin == f"{url}#entry 2" and "nothing in it" in skipped.reason
    assert "nothing in it" in runtime.feed_states.get(url).last_problem


def test_an_item_without_guid_that_another_feed_brought_is_named_as_its_twin(runtime, server):
    item = f"<title>Notice</title><link>http://w.example/notice</link><description>{text(1)}</description>"
    first = _poll(runtime, server.serve("/rss.xml", rss(item)))
    twin = server.serve("/rss2.xml", rss(item, f"<title>Other</title><link>http://w.example/2</link><description>{text(2)}</description>"))
    second = _poll(runtime, twin)
    assert (first.new_items, second.new_items, second.seen_before) == (1, 1, 0)
    [skipped] = second.skipped
    assert skipped.origin == f"{twin}#http://w.example/notice"
    assert skipped.reason == f"same link, title and text as an item of the feed {first.feed_url}, which is indexed there (a twin feed)"


def test_items_without_text_and_without_a_title_or_a_link_fail_saying_what_they_lack(runtime, server):
    url = server.serve("/rss.xml", rss("<title>Only a title</title>", "<link>http://w.example/only-a-link</link>"))
    report = _poll(runtime, url)
    reasons = sorted(f.reason for f in report.report.failed)
    assert reasons == ["feed item has no text and no link, only a title: nothing to read or to point to",
                       "feed item has no text and no title, only a link (full_article = true would fetch its page)"]
