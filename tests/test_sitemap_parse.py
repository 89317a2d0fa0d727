"""Sitemap bytes to data: urlsets, indexes, Google News fields, gzip, and hostile XML."""

from __future__ import annotations

import gzip

import pytest

from tests.pages import sitemap_index, urlset
from worker.sitemaps.parse import SitemapError, parse_sitemap
from worker.sitemaps.select import candidates

NEWS = {"name": "Coast Wire", "title": "Convoy leaves the base", "date": "2021-01-15T10:00:00Z"}


def test_a_google_news_sitemap_gives_title_date_and_source():
    parsed = parse_sitemap("s", urlset([{"loc": "https://n.example/a", "lastmod": "2021-01-15", "news": NEWS},
                                        {"loc": "javascript:alert(1)"}, {"loc": ""}]), 10_000)
    [entry] = parsed.urls
    assert (entry.news_title, entry.news_published, entry.news_source) == (NEWS["title"], NEWS["date"], "Coast Wire")
    assert entry.lastmod.isoformat() == "2021-01-15T00:00:00+00:00"
    assert parsed.dropped == 2 and "not an http or https URL" in parsed.problem


def test_an_index_gzipped_and_without_namespace():
    data = gzip.compress(sitemap_index(["https://n.example/news.xml", "https://n.example/pages.xml.gz"]))
    parsed = parse_sitemap("s", data, 10_000)
    assert parsed.kind == "index" and [s.loc for s in parsed.sitemaps][1] == "https://n.example/pages.xml.gz"
    bare = parse_sitemap("s", b"<urlset><url><loc>http://x.example/1</loc><lastmod>bad date</lastmod></url></urlset>", 1000)
    assert [u.loc for u in bare.urls] == ["http://x.example/1"] and bare.urls[0].lastmod is None


def test_entities_are_not_expanded_and_a_gzip_bomb_stops_at_the_cap():
    laughs = (b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
              b'<!ENTITY ext SYSTEM "file:///etc/passwd">]><urlset><url><loc>http://x.example/&b;&ext;</loc></url></urlset>')
    assert [u.loc for u in parse_sitemap("s", laughs, 10_000).urls] == ["http://x.example/"]
    with pytest.raises(SitemapError, match="inflates past 100,000 bytes"):
        parse_sitemap("s", gzip.compress(b"<urlset>" + b" " * 10_000_000 + b"</urlset>"), 100_000)


@pytest.mark.parametrize("data, reason", [(b"<rss><channel/></rss>", "not a sitemap: the document is <rss>"),
                                          (b"<urlset><url>", "not well-formed"), (b"\x1f\x8bnot gzip", "gzip sitemap is corrupt")])
def test_what_is_not_a_sitemap_is_named(data, reason):
    with pytest.raises(SitemapError, match=reason):
        parse_sitemap("s", data, 10_000)


def test_only_new_or_changed_urls_newest_first():
    from datetime import datetime, timezone

    seen = {"https://n.example/old": datetime(2021, 1, 10, tzinfo=timezone.utc)}
    parsed = parse_sitemap("s", urlset([
        {"loc": "https://n.example/old", "lastmod": "2021-01-09"},  # not changed since first seen
        {"loc": "https://n.example/changed", "lastmod": "2021-01-12"},
        {"loc": "https://n.example/old", "lastmod": "2021-01-09"},
        {"loc": "https://n.example/new", "lastmod": "2021-01-14"},
        {"loc": "https://n.example/undated"},
    ]), 10_000)
    picks, unchanged = candidates(parsed.urls, seen.get)
    assert [p.entry.loc for p in picks] == ["https://n.example/new", "https://n.example/changed", "https://n.example/undated"]
    assert unchanged == 2
    assert picks[0].keys == ["page:https://n.example/new@2021-01-14T00:00:00+00:00"]
    assert picks[2].keys == ["page:https://n.example/undated"]
