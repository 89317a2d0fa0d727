"""Hostile feeds, each served by a real HTTP server on 127.0.0.1 and polled in one batch
(a ``poll_feeds`` task) with a good feed: the hostile one ends with a clear error (or, when
it still carries usable items, with them and a note), and the good feed's items are indexed.

Also: the fetcher's memory stays near ``fetch.max_bytes`` on a 1 GB body and on a gzip
bomb, and the shared corpus ``../shared/corpus/feeds-hard`` over HTTP when it is present.
"""

from __future__ import annotations

import codecs
import json
import time
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest

from tests.conftest import SHARED_CORPUS
from tests.httpserver import LocalServer, Reply
from tests.test_feed_poll import rss, story
from worker.celery_app import create_app
from worker.feeds.errors import FetchError
from worker.feeds.http import Fetcher
from worker.feeds.poll import PollReport
from worker.feeds.registry import FeedConfig
from worker.models import SearchQuery
from worker.runtime import Runtime
from worker.settings import FetchSettings
from worker.tasks import POLL_FEEDS

MAX_BYTES = 1024 * 1024
TOTAL_TIMEOUT = 1.5
GIB = 1024**3


@pytest.fixture
def runtime(env_settings, tmp_path, extractor):
    settings = env_settings(
        fetch={"allow_private": ["127.0.0.1/32"], "max_bytes": MAX_BYTES, "total_timeout": TOTAL_TIMEOUT, "read_timeout": 5},
        feeds={"registry": tmp_path / "feeds.toml"},
    )
    made = Runtime(settings)
    made.__dict__["extractor"] = extractor
    yield made
    made.close()


def poll_batch(runtime: Runtime, urls: list[str]) -> dict[str, PollReport]:
    """The feeds polled as beat polls them: one poll_feeds task, in this process."""
    for url in urls:
        runtime.registry.add(FeedConfig(url=url))
    app = create_app(runtime.settings)
    app.newsworker_runtime = runtime
    reports = app.tasks[POLL_FEEDS].apply(args=[urls], throw=True).get()
    return {r["feed_url"]: PollReport.model_validate(r) for r in reports}


def good_feed(server: LocalServer) -> str:
    return server.serve("/good.xml", Reply(200, rss([story(901), story(902)]), {"Content-Type": "application/rss+xml"}))


def stored_text(runtime: Runtime) -> str:
    """Every stored article and feed state as one string, to look for what must not be there."""
    found = runtime.store.search(SearchQuery(size=1000, facets=False, include_duplicates=True))
    articles = [runtime.store.get(hit.id).model_dump_json() for hit in found.hits]
    states = [state.model_dump_json() for state in runtime.feed_states.all().values()]
    return "\n".join(articles + states)


# -- payloads --------------------------------------------------------------------------

ITEMS = (
    "<item><title>Lol &lol9; here</title><guid>bad-1</guid><link>http://hostile.example/1</link>"
    "<description>Troops &lol9; stayed in the region while talks went on for weeks.</description></item>"
    "<item><title>A plain second item</title><guid>bad-2</guid><link>http://hostile.example/2</link>"
    "<description>Officials said 2,500 soldiers would stay in the region while talks continue.</description></item>"
)


def billion_laughs() -> bytes:
    levels = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(levels) + "\n]>\n"
            f'<rss version="2.0"><channel><title>Laughs</title>{ITEMS}</channel></rss>').encode()


def quadratic_blowup(encoding: str = "utf-8") -> bytes:
    # One plain 50 kB entity, referenced 20,000 times: 1 GB once expanded. feedparser keeps
    # such "safe" entities and its loose parser expands them without limit.
    feed = (f'<?xml version="1.0" encoding="{encoding}"?>\n<!DOCTYPE rss [\n<!ENTITY a "{"a" * 50_000}">\n]>\n'
            '<rss version="2.0"><channel><title>Quadratic</title><item><title>Blowup</title><guid>q-1</guid>'
            f'<link>http://hostile.example/q</link><description>{"&a;" * 20_000}</description></item>{ITEMS.replace("&lol9;", "")}'
            "</channel></rss>")
    return codecs.BOM_UTF16_LE + feed.encode("utf-16-le") if encoding == "utf-16" else feed.encode(encoding)


def external_entity(secret: Path, parameter: bool = False) -> bytes:
    declaration = (f'<!ENTITY % p SYSTEM "file://{secret}">\n%p;' if parameter
                   else f'<!ENTITY xxe SYSTEM "file://{secret}">')
    reference = "" if parameter else "&xxe;"
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{declaration}\n]>\n<rss version="2.0"><channel><title>XXE</title>'
            f"<item><title>Secret {reference}</title><guid>x-1</guid><link>http://hostile.example/x</link>"
            f"<description>It says {reference} here, among enough words to be an article text.</description></item>"
            f"{ITEMS.replace('&lol9;', '')}</channel></rss>").encode()


@lru_cache(maxsize=4)
def zeros_compressed(total: int, wbits: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1024 * 1024)
    return b"".join(packer.compress(block) for _ in range(total // len(block))) + packer.flush()


def endless(chunk: bytes, total: int):
    def chunks():
        for _ in range(total // len(chunk)):
            yield chunk
    return chunks


def html_page(feed_link: str | None) -> bytes:
    link = f'<link rel="alternate" type="application/rss+xml" href="{feed_link}">' if feed_link else ""
    return f"<!doctype html><html><head><title>Home</title>{link}</head><body><p>Welcome</p></body></html>".encode()


# -- the cases: each served at /hostile and polled in one batch with /good.xml ----------


@dataclass
class Case:
    reply: Reply
    # Polled as an error whose reason contains this; or None: polled ok, with its usable items.
    error: str | None = None
    problem: str | None = None
    indexed: int = 0
    absent: list[str] = field(default_factory=list)


XML = {"Content-Type": "application/rss+xml"}


def _secret(tmp: Path) -> Path:
    secret = tmp / "secret.txt"
    secret.write_text("root:TOP-SECRET-CONTENT")
    return secret


def _local_feed(tmp: Path) -> Path:
    feed = tmp / "local-feed.xml"
    feed.write_bytes(rss([story(7, title="LOCAL-FILE-SECRET")]))
    return feed


CASES: dict[str, Callable[[Path], Case]] = {
    "billion-laughs": lambda tmp: Case(Reply(200, billion_laughs(), XML), problem="XML entity declaration(s) in the DOCTYPE ignored",
                                       indexed=2, absent=["lollollol"]),
    "quadratic-blowup": lambda tmp: Case(Reply(200, quadratic_blowup(), XML), problem="entities are never expanded", indexed=3,
                                         absent=["a" * 100_000]),
    "quadratic-blowup-utf16": lambda tmp: Case(Reply(200, quadratic_blowup("utf-16"), {}), problem="entities are never expanded",
                                               indexed=3, absent=["a" * 100_000]),
    "external-entity": lambda tmp: Case(Reply(200, external_entity(_secret(tmp)), XML), indexed=3, absent=["TOP-SECRET"]),
    "external-parameter-entity": lambda tmp: Case(Reply(200, external_entity(_secret(tmp), parameter=True), XML), indexed=3,
                                                  absent=["TOP-SECRET"]),
    "1GB-streamed": lambda tmp: Case(Reply(200, chunks=endless(b"<rss>" + b" " * 65_531, GIB), headers=XML),
                                     error=f"response cut off at the {MAX_BYTES:,}-byte limit"),
    "1GB-declared": lambda tmp: Case(Reply(200, chunks=endless(b" " * 65_536, GIB), headers={**XML, "Content-Length": str(GIB)}),
                                     error=f"response of {GIB:,} bytes is over the {MAX_BYTES:,}-byte limit"),
    "gzip-bomb": lambda tmp: Case(Reply(200, zeros_compressed(200 * 1024 * 1024, 31), {**XML, "Content-Encoding": "gzip"}),
                                  error=f"response cut off at the {MAX_BYTES:,}-byte limit"),
    "deflate-bomb": lambda tmp: Case(Reply(200, zeros_compressed(200 * 1024 * 1024, 15), {**XML, "Content-Encoding": "deflate"}),
                                     error=f"response cut off at the {MAX_BYTES:,}-byte limit"),
    "corrupt-gzip": lambda tmp: Case(Reply(200, b"\x1f\x8b\x08\x00garbage-not-gzip", {**XML, "Content-Encoding": "gzip"}),
                                     error="response body could not be decoded"),
    "brotli-unasked": lambda tmp: Case(Reply(200, b"\x0b\x02\x80hello", {**XML, "Content-Encoding": "br"}),
                                       error="unsupported Content-Encoding 'br'"),
    "endless-redirects": lambda tmp: Case(Reply(302, headers={"Location": "/hostile"}), error="more than 5 redirects"),
    "redirect-to-file": lambda tmp: Case(Reply(302, headers={"Location": f"file://{_secret(tmp)}"}),
                                         error="scheme 'file' is not fetched", absent=["TOP-SECRET"]),
    "slow-loris-body": lambda tmp: Case(Reply(200, chunks=endless(b"<", 10_000), pause=0.1, headers=XML),
                                        error=f"took longer than {TOTAL_TIMEOUT:g}s in all"),
    "slow-loris-headers": lambda tmp: Case(Reply(header_pause=0.1), error=f"took longer than {TOTAL_TIMEOUT:g}s in all"),
    "wrong-charset": lambda tmp: Case(Reply(200, rss([story(1, title="Café crème in Genève")]).decode().encode("cp1252"),
                                            {"Content-Type": "application/rss+xml; charset=utf-8"}),
                                      problem="declared as utf-8, but parsed as windows-1252", indexed=1),
    "html-linking-a-feed": lambda tmp: Case(Reply(200, html_page("/real-feed.xml"), {"Content-Type": "text/html"}),
                                            error="HTML page, not a feed; the page links to the feed http://127.0.0.1:"),
    "html-without-feed": lambda tmp: Case(Reply(200, html_page(None), {"Content-Type": "text/html"}), error="HTML page, not a feed"),
    "binary": lambda tmp: Case(Reply(200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, {"Content-Type": "image/png"}),
                               error="not a recognisable RSS, Atom, RDF or JSON feed"),
    "deep-json-feed": lambda tmp: Case(Reply(200, b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
                                             {"Content-Type": "application/feed+json"}), error="nested too deeply"),
    "huge-number-json-feed": lambda tmp: Case(Reply(200, b'{"version": "https://jsonfeed.org/version/1.1", "n": ' + b"9" * 5000 + b"}",
                                                    {"Content-Type": "application/feed+json"}), error="Exceeds the limit (4300 digits)"),
    # feedparser opens bytes that name a local file: the body must never be taken for a path.
    "body-names-a-local-file": lambda tmp: Case(Reply(200, str(_local_feed(tmp)).encode(), XML),
                                                error="not a recognisable RSS, Atom, RDF or JSON feed", absent=["LOCAL-FILE-SECRET"]),
    "lone-surrogates-json-feed": lambda tmp: Case(Reply(200, json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Wire \ud800", "items": [{
            "id": "s\ud800", "url": "http://hostile.example/\udfff", "title": "Lone \udc00 surrogate",
            "content_text": "Officials said 2,500 soldiers \ud83d would stay in the region while talks continue.",
            "authors": [{"name": "Name \ud801"}]}]}).encode(), {"Content-Type": "application/feed+json"}), indexed=1),
    "control-characters": lambda tmp: Case(Reply(200, rss([story(3, title="Bell\x07 and \u202eoverride\u202c title"), story(4)]), XML),
                                           indexed=2, absent=["\u202e", "\\u202e", "\x07", "\\u0007"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_feed_in_a_batch(name, runtime, server, tmp_path):
    case = CASES[name](tmp_path)
    hostile = server.serve("/hostile", case.reply)
    good = good_feed(server)
    started = time.monotonic()
    reports = poll_batch(runtime, [hostile, good])
    elapsed = time.monotonic() - started

    bad, fine = reports[hostile], reports[good]
    assert (fine.status, len(fine.report.indexed)) == ("ok", 2), fine
    if case.error:
        assert bad.status == "error" and case.error in bad.error, bad
        state = runtime.feed_states.get(hostile)
        assert case.error in state.last_error and state.consecutive_errors == 1
    else:
        assert bad.status == "ok" and len(bad.report.indexed) == case.indexed, bad
        if case.problem:
            assert case.problem in bad.problem
    everything = stored_text(runtime)
    for text in case.absent:
        assert text not in everything
    assert elapsed < TOTAL_TIMEOUT + 8, f"{name} held the batch {elapsed:.1f}s"
    if name.startswith("1GB"):
        assert server.sent["/hostile"] < 32 * MAX_BYTES, "the server got to send far more than the cap"


def test_control_characters_are_cleaned_from_the_stored_item(runtime, server):
    url = server.serve("/feed.xml", Reply(200, rss([story(5, title="Bell\x07 and \u202eoverride\u202c title")])))
    report = poll_batch(runtime, [url])[url]
    assert runtime.store.get(report.report.indexed[0].id).title == "Bell and override title"


def test_item_links_into_the_network_are_not_fetched(runtime, server):
    """A full-article feed whose item points at the cloud metadata service: refused, summary used."""
    summary = "A teaser that is long enough to be indexed as the article text for this item about troops."
    link = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    url = server.serve("/feed.xml", Reply(200, rss([{"id": "m1", "title": "Metadata", "summary": summary, "link": link}])))
    runtime.registry.add(FeedConfig(url=url, full_article=True))
    report = runtime.poller.poll(runtime.registry.get(url))
    assert len(report.report.indexed) == 1
    assert f"full article fetch failed for {link}" in report.problem
    assert "resolves to non-public address 169.254.169.254" in report.problem


# -- memory: what a hostile body can make the fetcher hold ------------------------------


def _peak_while(fetch) -> tuple[int, Exception | None]:
    tracemalloc.start()
    try:
        fetch()
        error = None
    except FetchError as exc:
        error = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, error


@pytest.mark.parametrize(("name", "reply"), [
    ("1GB-streamed", Reply(200, chunks=endless(b" " * 65_536, GIB))),
    ("gzip-bomb-200MB", Reply(200, zeros_compressed(200 * 1024 * 1024, 31), {"Content-Encoding": "gzip"})),
])
def test_fetcher_memory_stays_near_the_cap(name, reply, server):
    url = server.serve("/big", reply)
    fetcher = Fetcher(FetchSettings(allow_private=["127.0.0.1/32"], max_bytes=MAX_BYTES, total_timeout=10))
    try:
        peak, error = _peak_while(lambda: fetcher.get(url))
    finally:
        fetcher.close()
    assert error is not None and "cut off" in error.reason
    # The body kept so far, and its join; httpx's own inflating took 64 MiB and more here.
    assert peak < 4 * MAX_BYTES, f"{name}: peak {peak:,} bytes"


# -- the shared corpus of hard feeds, over HTTP -------------------------------------------

HARD = SHARED_CORPUS / "feeds-hard"


def _hard_files() -> list:
    files = sorted(p for p in HARD.iterdir() if p.is_file() and not p.name.startswith(".")) if HARD.is_dir() else []
    if not files:
        return [pytest.param(None, id="no-corpus", marks=pytest.mark.skip(reason=f"shared corpus folder {HARD} is absent or empty"))]
    return [pytest.param(p, id=p.name) for p in files]


CONTENT_TYPES = {".json": "application/feed+json", ".xml": "application/xml", ".rss": "application/rss+xml",
                 ".atom": "application/atom+xml", ".html": "text/html"}


@pytest.mark.parametrize("path", _hard_files())
def test_shared_hard_feed_over_http(path, runtime, server):
    headers = {"Content-Type": CONTENT_TYPES[path.suffix]} if path.suffix in CONTENT_TYPES else {}
    hostile = server.serve("/hard", Reply(200, path.read_bytes(), headers))
    good = good_feed(server)
    reports = poll_batch(runtime, [hostile, good])
    assert len(reports[good].report.indexed) == 2
    bad = reports[hostile]
    assert bad.status in ("ok", "error")
    if bad.status == "error":
        assert bad.error and runtime.feed_states.get(hostile).last_error == bad.error


def test_cases_payloads_are_what_they_claim():
    """The payloads must be hostile, or the tests above prove nothing."""
    assert len(zlib.decompress(zeros_compressed(8 * 1024 * 1024, 31), 31)) == 8 * 1024 * 1024
    assert len(zeros_compressed(200 * 1024 * 1024, 31)) < 300_000
    assert billion_laughs().count(b"<!ENTITY") == 10
    assert quadratic_blowup("utf-16").startswith(codecs.BOM_UTF16_LE) and b"<!ENTITY" not in quadratic_blowup("utf-16")


def test_slow_article_pages_share_one_budget_per_poll(env_settings, tmp_path, extractor, server):
    """Issue 18 item 16: each page had its own deadline but a poll had none (3 slow pages: 183 s)."""
    settings = env_settings(
        fetch={"allow_private": ["127.0.0.1/32"], "total_timeout": 2, "read_timeout": 5},
        feeds={"registry": tmp_path / "feeds.toml", "poll_budget_seconds": 1.5},
    )
    made = Runtime(settings)
    made.__dict__["extractor"] = extractor
    summary = "A teaser that is long enough to be indexed as the article text for this item about troops in Iraq."
    slow = server.serve("/slow", Reply(200, chunks=endless(b" ", 10_000), pause=0.2, headers={"Content-Type": "text/html"}))
    items = [{"id": f"s{i}", "title": f"Slow {i}", "summary": summary + f" Item {i}.", "link": f"{slow}?{i}"} for i in range(6)]
    url = server.serve("/feed.xml", Reply(200, rss(items)))
    made.registry.add(FeedConfig(url=url, full_article=True))
    report = made.poller.poll(made.registry.get(url))
    made.close()
    assert len(report.report.indexed) == 6  # every item still indexed, from its summary
    assert "poll budget of 1.5 s spent" in report.problem and "items kept their feed summary" in report.problem
    assert len(server.hits("/slow")) < 6  # pages past the budget were never asked for
