"""parse_feed over the shared feed corpus (../shared/corpus beside the repo).

- ``feeds-hard/``: hostile and broken feeds. Each must give a ParsedFeed or raise
  FeedParseError; no other exception may escape.
- ``feeds/``: good feeds. Each must give at least one item, every item with a title and a link.

The file lists are collected at import time; when the corpus is absent (or a folder is
empty) those tests skip and say why. ``test_checks_on_a_fake_corpus`` runs the same
checks on a small corpus built in tmp_path, so the checking code is exercised everywhere.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_CORPUS
from worker.feeds.errors import FeedParseError
from worker.feeds.parse import ParsedFeed, parse_feed

CORPUS: Path = SHARED_CORPUS
HARD = "feeds-hard"
GOOD = "feeds"


def corpus_files(kind: str) -> list[Path]:
    """The files directly in CORPUS/kind, sorted; [] when the folder is absent."""
    folder = CORPUS / kind
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _params(kind: str) -> list:
    files = corpus_files(kind)
    if files:
        return [pytest.param(p, id=p.name) for p in files]
    folder = CORPUS / kind
    why = f"shared corpus folder {folder} is absent" if not folder.is_dir() else f"shared corpus folder {folder} has no files"
    return [pytest.param(None, id="no-corpus", marks=pytest.mark.skip(reason=why))]


def _url(path: Path) -> str:
    return path.resolve().as_uri()


def check_hard_feed(path: Path) -> ParsedFeed | None:
    """A ParsedFeed, or None when parse_feed refused the body with FeedParseError."""
    data = path.read_bytes()
    try:
        parsed = parse_feed(_url(path), data)
    except FeedParseError as exc:
        assert exc.reason, f"{path.name}: FeedParseError without a reason"
        return None
    except Exception as exc:  # noqa: BLE001 - the point of the check
        pytest.fail(f"{path.name}: {type(exc).__name__} escaped parse_feed: {exc}")
    assert isinstance(parsed, ParsedFeed), f"{path.name}: parse_feed returned {type(parsed).__name__}"
    assert parsed.items, f"{path.name}: ParsedFeed without items"
    return parsed


def check_good_feed(path: Path) -> ParsedFeed:
    parsed = parse_feed(_url(path), path.read_bytes())
    assert parsed.items, f"{path.name}: no items"
    for number, item in enumerate(parsed.items, start=1):
        assert item.title and item.title.strip(), f"{path.name}: item {number} has no title"
        assert item.link and item.link.strip(), f"{path.name}: item {number} ({item.title!r}) has no link"
    return parsed


@pytest.mark.parametrize("path", _params(HARD))
def test_hard_feed_parses_or_raises_feed_parse_error(path):
    check_hard_feed(path)


@pytest.mark.parametrize("path", _params(GOOD))
def test_good_feed_has_items_with_title_and_link(path):
    check_good_feed(path)


# -- the checks themselves, on a corpus built here ------------------------------------

GOOD_RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title>
<item><title>One</title><link>https://good.example.com/1</link><description>First.</description></item>
<item><title>Two</title><link>https://good.example.com/2</link><description>Second.</description></item>
</channel></rss>"""
GOOD_ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2024-01-01T00:00:00Z</updated>
<entry><id>urn:a:1</id><title>Atom one</title><link href="https://atom.example.com/1"/><updated>2024-01-01T00:00:00Z</updated><summary>s</summary></entry>
</feed>"""
GOOD_JSON = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "J",
    "items": [{"id": "1", "url": "https://json.example.com/1", "title": "Json one", "content_text": "Body."}],
}).encode()
NO_LINK_RSS = b"""<rss version="2.0"><channel><title>T</title>
<item><title>Has link</title><link>https://x.example.com/1</link></item>
<item><title>No link</title><description>Orphan.</description></item>
</channel></rss>"""


def test_checks_on_a_fake_corpus(tmp_path, monkeypatch):
    fake = tmp_path / "corpus"
    hard = {
        "bozo-amp.xml": b'<rss version="2.0"><channel><title>B</title><item><title>Fish & Chips</title>'
        b"<link>https://b.example.com/1</link></item></channel></rss>",
        "truncated.xml": GOOD_RSS[:120],
        "html-page.xml": b"<!DOCTYPE html><html><body><p>Not a feed</p></body></html>",
        "empty.xml": b"",
        "binary.bin": bytes(range(256)) * 4,
        "not-jsonfeed.json": b'{"items": [1, 2]}',
        "deep.json": b"[" * 20_000 + b"]" * 20_000,
        "billion-laughs.xml": b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title><item><title>&lol3;</title><link>https://l.example.com/</link></item></channel></rss>""",
        "good.xml": GOOD_RSS,
    }
    good = {"rss.xml": GOOD_RSS, "atom.xml": GOOD_ATOM, "feed.json": GOOD_JSON}
    for kind, files in ((HARD, hard), (GOOD, good)):
        (fake / kind).mkdir(parents=True)
        for name, data in files.items():
            (fake / kind / name).write_bytes(data)
    (fake / GOOD / ".DS_Store").write_bytes(b"\x00junk")
    (fake / GOOD / "subdir").mkdir()

    module = sys.modules[__name__]
    monkeypatch.setattr(module, "CORPUS", fake)
    assert [p.name for p in corpus_files(GOOD)] == ["atom.xml", "feed.json", "rss.xml"]
    assert [p.name for p in corpus_files(HARD)] == sorted(hard)
    assert [p.values[0].name for p in _params(GOOD)] == ["atom.xml", "feed.json", "rss.xml"]

    outcomes = {p.name: check_hard_feed(p) for p in corpus_files(HARD)}
    assert outcomes["good.xml"] is not None and len(outcomes["good.xml"].items) == 2
    assert outcomes["bozo-amp.xml"] is not None and outcomes["bozo-amp.xml"].problem
    for refused in ("html-page.xml", "empty.xml", "not-jsonfeed.json", "deep.json"):
        assert outcomes[refused] is None, refused

    titles = {p.name: [i.title for i in check_good_feed(p).items] for p in corpus_files(GOOD)}
    assert titles == {"atom.xml": ["Atom one"], "feed.json": ["Json one"], "rss.xml": ["One", "Two"]}

    # The checks must be able to fail.
    (fake / GOOD / "no-link.xml").write_bytes(NO_LINK_RSS)
    with pytest.raises(AssertionError, match="no link"):
        check_good_feed(fake / GOOD / "no-link.xml")
    with pytest.raises(FeedParseError):
        check_good_feed(fake / HARD / "html-page.xml")

    def explode(url, data, content_type=""):
        raise KeyError("boom")

    monkeypatch.setattr(module, "parse_feed", explode)
    with pytest.raises(pytest.fail.Exception, match="KeyError escaped parse_feed"):
        check_hard_feed(fake / HARD / "good.xml")

    # And with no corpus at all, the parametrized tests get one skipped case with a reason.
    monkeypatch.setattr(module, "CORPUS", tmp_path / "absent")
    assert corpus_files(GOOD) == []
    (param,) = _params(HARD)
    assert param.values == (None,)
    assert "absent" in param.marks[0].kwargs["reason"]
