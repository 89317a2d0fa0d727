"""Sitemaps, sitemap indexes, Google News sitemaps and robots.txt Sitemap: lines, polled like feeds."""
