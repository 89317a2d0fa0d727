"""Article pages, robots.txt and sitemaps for the page-fetching tests, served by tests/httpserver.py."""

from __future__ import annotations

from html import escape

import redis

from tests.conftest import REDIS_URL

PARAGRAPH = ("Officials said on {day} that {n:,} soldiers would remain at the base while talks continue, and that the "
             "decision followed weeks of negotiations between the two governments over the future of the mission.")


def article_html(title: str, n: int = 2500, canonical: str | None = None, day: str = "Tuesday") -> bytes:
    link = f'<link rel="canonical" href="{escape(canonical)}">' if canonical else ""
    body = "".join(f"<p>{PARAGRAPH.format(day=day, n=n + i)}</p>" for i in range(4))
    return (f"<!doctype html><html><head><title>{escape(title)}</title>{link}"
            f'<meta property="og:site_name" content="Local Wire">'
            f'<meta name="date" content="2021-01-15T10:00:00Z"></head>'
            f"<body><article><h1>{escape(title)}</h1>{body}</article></body></html>").encode()


def clear_robots(origin: str) -> None:
    """Forget what an earlier test (an earlier server on this port) cached for ``origin``."""
    client = redis.Redis.from_url(REDIS_URL)
    host = origin.split("://", 1)[1].rsplit(":", 1)[0]
    client.delete(f"newsworker:robots:file:{origin}", f"newsworker:robots:next:{host}")
    client.close()


def urlset(entries: list[dict]) -> bytes:
    """A sitemap <urlset>; an entry with ``news`` ({"name", "title", "date"}) is a Google News one."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
             'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">']
    for entry in entries:
        parts.append(f"<url><loc>{escape(entry['loc'])}</loc>")
        if entry.get("lastmod"):
            parts.append(f"<lastmod>{entry['lastmod']}</lastmod>")
        if news := entry.get("news"):
            parts.append(f"<news:news><news:publication><news:name>{escape(news['name'])}</news:name>"
                         "<news:language>en</news:language></news:publication>"
                         f"<news:publication_date>{news['date']}</news:publication_date>"
                         f"<news:title>{escape(news['title'])}</news:title></news:news>")
        parts.append("</url>")
    parts.append("</urlset>")
    return "".join(parts).encode()


def sitemap_index(locations: list[str]) -> bytes:
    children = "".join(f"<sitemap><loc>{escape(loc)}</loc></sitemap>" for loc in locations)
    return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{children}</sitemapindex>").encode()
