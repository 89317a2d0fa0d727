"""The real-feeds measurement: every entry of ../shared/corpus/real-feeds through the CLI path.

The folder is served on 127.0.0.1 (tests/httpserver.py), each feed is registered with
`newsworker feeds add URL`, and one `newsworker feeds poll --all --json` polls them. Entries are
counted independently of the worker (feedparser's entries, a JSON Feed's items), and each must
end as a stored article or be named in the poll report with a reason. Used by
tests/test_real_feeds.py and bench/real_feeds.py (which prints the numbers).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import feedparser
from click.testing import CliRunner

from tests.httpserver import LocalServer, Reply

CONTENT_TYPES = {
    ".rss": "application/rss+xml", ".atom": "application/atom+xml", ".rdf": "application/rdf+xml",
    ".xml": "application/xml", ".json": "application/feed+json", ".html": "text/html; charset=utf-8",
}
# Site pages whose feed the corpus holds: served as the site, with the feed where the page links it.
SITES = {"DaringFireball.html": ("/feeds/main", "DaringFireball.atom")}


@dataclass
class Measurement:
    entries: int = 0
    articles: int = 0
    near_copies: int = 0  # articles stored as a near-copy of another (a twin feed's, a wire copy)
    headlines: int = 0  # headline articles (a headline and a link, no text of its own)
    reasons: Counter = field(default_factory=Counter)
    unaccounted: int = 0  # entries neither stored nor named
    lost: list[str] = field(default_factory=list)  # which feeds lost them
    # Articles missing what an article must have (absolute link, title, source, text).
    incomplete: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # feeds `feeds add` refused, with its message
    pages: list[str] = field(default_factory=list)  # what autodiscovery did with each site page
    per_feed: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (entries, articles)

    def lines(self) -> list[str]:
        out = [f"entries {self.entries}",
               f"articles {self.articles} (near-copies of another article: {self.near_copies}; headline articles: {self.headlines})"]
        out += [f"  {n:5d}  {reason}" for reason, n in self.reasons.most_common()]
        out.append(f"unaccounted {self.unaccounted}")
        out += [f"  {u}" for u in self.lost]
        out += [f"incomplete article: {i}" for i in self.incomplete] + [f"refused {r}" for r in self.refused]
        out += [f"page {p}" for p in self.pages]
        return out


def count_entries(path: Path) -> int:
    """Entries as a reader sees them, without the worker: feedparser's, a JSON Feed's items (or
    the items of RSS written as JSON); 0 for JSON cut off mid-way, whose entries none can count."""
    data = path.read_bytes()
    if path.suffix != ".json":
        return len(feedparser.parse(data).entries)
    try:
        doc = json.loads(data)
    except ValueError:
        return 0
    items = doc.get("items", doc.get("rss", {}).get("channel", {}).get("item"))
    return len(items) if isinstance(items, list) else 0


def has_dates(path: Path) -> bool:
    """Whether any entry of the feed is dated (then each of its articles must be)."""
    data = path.read_bytes()
    if path.suffix == ".json":
        items = json.loads(data).get("items") or []
        return any(isinstance(i, dict) and (i.get("date_published") or i.get("date_modified")) for i in items)
    return any(e.get("published_parsed") or e.get("updated_parsed") for e in feedparser.parse(data).entries)


def feed_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in CONTENT_TYPES and p.suffix != ".html")


def serve(server: LocalServer, folder: Path) -> dict[str, Path]:
    """Registered URL -> the file whose entries it holds: each feed at /NAME, each site page with
    a corpus feed at /site/NAME/ (the URL `feeds add` is given), its feed where the page says."""
    urls: dict[str, Path] = {}
    linked = {feed for _, feed in SITES.values()}
    for path in feed_files(folder):
        url = server.serve(f"/{path.name}", Reply(200, path.read_bytes(), {"Content-Type": CONTENT_TYPES[path.suffix]}))
        if path.name not in linked:
            urls[url] = path
    for page, (feed_path, feed_name) in SITES.items():
        html = (folder / page).read_bytes()
        site = server.serve(f"/site/{page}/", Reply(200, html, {"Content-Type": CONTENT_TYPES[".html"]}))
        feed = folder / feed_name
        server.serve(feed_path, Reply(200, feed.read_bytes(), {"Content-Type": CONTENT_TYPES[feed.suffix]}))
        urls[site] = feed
    return urls


def measure(folder: Path, server: LocalServer) -> Measurement:
    """Run the CLI path over the served folder and account for every entry. The caller sets
    NEWSWORKER_* (a data folder of its own, NEWSWORKER_FETCH__ALLOW_PRIVATE for 127.0.0.1)."""
    from worker.cli.main import cli
    from worker.runtime import Runtime
    from worker.settings import load_settings

    runner = CliRunner()
    m = Measurement()
    registered: dict[str, Path] = {}
    for url, path in serve(server, folder).items():
        added = runner.invoke(cli, ["feeds", "add", url])
        feed_url = url
        if "(discovered from" in added.output:
            feed_url = added.output.split()[1]
            m.pages.append(f"{url}: {added.output.strip()}")
        if added.exit_code != 0:
            # Refused with a reason the user reads: its entries are accounted for by it.
            m.entries += count_entries(path)
            m.reasons[f"feed refused ({path.name}): {_reason_kind(added.output.strip().split(': ', 2)[-1])}"] += count_entries(path)
            m.refused.append(f"{path.name}: {added.output.strip()}")
            continue
        registered[feed_url] = path
    m.pages += _pages_outside(folder)
    polled = runner.invoke(cli, ["feeds", "poll", "--all", "--json"])
    reports = {r["feed_url"]: r for r in json.loads(polled.stdout or "[]")}
    dated = {url for url, path in registered.items() if has_dates(path)}
    runtime = Runtime(load_settings())
    try:
        stored: Counter = Counter()
        for article in runtime.store.iter_articles():
            stored[article.feed_url] += 1
            m.near_copies += article.duplicate_of is not None
            m.headlines += article.headline_only
            if problem := _incomplete(article, article.feed_url in dated):
                m.incomplete.append(f"{article.origin}: {problem}")
    finally:
        runtime.close()
    for feed_url, path in registered.items():
        entries, articles = count_entries(path), stored[feed_url]
        m.entries += entries
        m.articles += articles
        m.per_feed[path.name] = (entries, articles)
        report = reports.get(feed_url) or {}
        named = _named(report)
        m.reasons.update(named)
        missing = entries - articles - sum(named.values())
        if missing:
            m.unaccounted += missing
            m.lost.append(f"{path.name}: {missing} of {entries} entries neither stored nor named"
                                 + (f" ({report.get('error')})" if report.get("error") else ""))
    return m


def _named(report: dict) -> Counter:
    """Entries the poll report names with a reason: skipped items, and failures."""
    reasons: Counter = Counter(s["reason"] for s in report.get("skipped", []))
    batch = report.get("report", {})
    reasons.update(f"failed: {_reason_kind(f['reason'])}" for f in batch.get("failed", []))
    reasons.update("already stored (the same article id)" for _ in batch.get("duplicates", []))
    return reasons


def _reason_kind(reason: str) -> str:
    return reason.split(" (")[0].split(": ")[0]


def _incomplete(article, dated_feed: bool) -> str | None:
    if not (article.url or "").startswith(("http://", "https://")):
        return f"link not absolute: {article.url!r}"
    for name in ("title", "source", "body"):
        if not (getattr(article, name) or "").strip():
            return f"no {name}"
    if dated_feed and article.published_at is None:
        return "no date, though its feed dates its entries"
    return None


def _pages_outside(folder: Path) -> list[str]:
    """The site pages whose feeds the corpus does not hold: autodiscovery must still find them."""
    from worker.feeds.discover import discover_feeds

    return [f"{page.name}: links {(discover_feeds('https://site.example/', page.read_bytes()) or ['no feed'])[0]} (not in the corpus)"
            for page in sorted(folder.glob("*.html")) if page.name not in SITES]
