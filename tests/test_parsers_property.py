"""Property-based tests (hypothesis): random bytes and random feed-like XML into the feed
parser, the prefilter, the file readers, the body decoder and text cleanup. Nothing but
the typed errors may escape, and what comes out is valid text of a bounded size."""

from __future__ import annotations

import gzip
import json
import re
import tempfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worker.errors import InputError
from worker.feeds.decoding import BoundedDecoder, DecodingError, LimitExceeded
from worker.feeds.errors import FeedParseError
from worker.feeds.parse import ParsedFeed, parse_feed
from worker.feeds.prefilter import drop_seen
from worker.models import Failure, RawDocument
from worker.normalize import normalize
from worker.normalize.cleanup import clean_line, clean_text
from worker.sources.decode import decode_text
from worker.sources.files import read_file
from worker.sources.metadata import Overrides

FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
URL = "http://fuzz.example/feed"
CONTENT_TYPES = ["", "application/rss+xml", "application/atom+xml", "text/xml", "text/html", "application/json",
                 "application/feed+json", "application/xml; charset=utf-16", "text/xml; charset=iso-8859-1",
                 "application/rss+xml; charset=utf-7", "application/octet-stream"]
SURROGATE = re.compile(r"[\ud800-\udfff]")


def assert_valid_text(value: str) -> None:
    assert not SURROGATE.search(value), repr(value)
    value.encode("utf-8")


def check_feed(data: bytes, content_type: str) -> ParsedFeed | None:
    try:
        parsed = parse_feed(URL, data, content_type)
    except FeedParseError as exc:
        assert exc.reason and exc.url == URL
        return None
    assert parsed.items
    for item in parsed.items:
        for text in (item.title or "", item.summary, item.content, item.link or "", item.entry_id or ""):
            assert_valid_text(text)
    return parsed


# -- random bytes ---------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from(CONTENT_TYPES))
def test_feed_parser_on_random_bytes(data, content_type):
    check_feed(data, content_type)


@FUZZ
@given(st.binary(max_size=4096))
def test_prefilter_on_random_bytes(data):
    result = drop_seen(data, URL, lambda keys: True)
    assert result is None or result.data is None or isinstance(result.data, bytes)


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from(["", "identity", "gzip", "deflate", "x-gzip", "br", "gzip, gzip"]))
def test_body_decoder_on_random_bytes(data, coding):
    try:
        decoder = BoundedDecoder(coding, 2048)
        out = decoder.feed(data) + decoder.flush()
    except (DecodingError, LimitExceeded):
        return
    assert len(out) <= 2048


@FUZZ
@given(st.binary(max_size=8192), st.integers(1024, 16384), st.sampled_from(["gzip", "deflate"]), st.integers(1, 7))
def test_body_decoder_round_trip_within_the_cap(data, limit, coding, pieces):
    packed = gzip.compress(data) if coding == "gzip" else zlib.compress(data)
    decoder = BoundedDecoder(coding, limit)
    size = -(-len(packed) // pieces)
    try:
        out = b"".join(decoder.feed(packed[i:i + size]) for i in range(0, len(packed), size)) + decoder.flush()
    except LimitExceeded:
        assert len(data) > limit
        return
    assert out == data and len(data) <= limit


SUFFIXES = [".txt", ".html", ".json", ".ndjson"]


def read_all(data: bytes, suffix: str, max_bytes: int = 1 << 20) -> list[RawDocument | Failure]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        results = list(read_file(path, Overrides(), max_bytes, roots=[Path(folder)]))
    for result in results:
        assert isinstance(result, (RawDocument, Failure))
        if isinstance(result, Failure):
            assert result.reason and result.origin.startswith(str(path))
            assert_valid_text(result.origin + result.reason)
        else:
            assert_valid_text(result.model_dump_json())
    return results


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from(SUFFIXES))
def test_file_readers_on_random_bytes(data, suffix):
    assert read_all(data, suffix)


@FUZZ
@given(st.binary(max_size=2048), st.booleans())
def test_decode_text_on_random_bytes(data, html):
    try:
        text = decode_text("fuzz", data, html=html)
    except InputError as exc:
        assert exc.origin == "fuzz" and exc.reason
        return
    assert isinstance(text, str)


# -- random JSON, random text -------------------------------------------------------------

# Any character, lone surrogates included (JSON can carry them as \\ud800 escapes).
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=80)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["title", "body", "text", "content", "url", "published", "source", "authors", "articles", "x"]) | ANY_TEXT,
        inner, max_size=6),
    max_leaves=30,
)


@FUZZ
@given(JSON_VALUES, st.sampled_from([".json", ".ndjson"]))
def test_file_readers_on_random_json(value, suffix):
    text = json.dumps(value) if suffix == ".json" else "\n".join(json.dumps(v) for v in (value if isinstance(value, list) else [value]))
    for result in read_all(text.encode(), suffix):
        if isinstance(result, RawDocument):
            try:
                assert_valid_text(normalize(result).model_dump_json())
            except InputError:
                pass


@FUZZ
@given(st.lists(JSON_VALUES, max_size=4), JSON_VALUES)
def test_feed_parser_on_random_json_feeds(items, title):
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}
    check_feed(json.dumps(feed).encode(), "application/feed+json")


@FUZZ
@given(ANY_TEXT)
def test_clean_text_leaves_valid_text_without_controls(text):
    cleaned = clean_text(text)
    assert_valid_text(cleaned)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]", cleaned), repr(cleaned)
    assert "\n" not in clean_line(text)


# -- random feed-like XML -------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "lol", "x1", "nbsp", "amp"])
ENTITY_REFS = st.sampled_from(["&amp;", "&lt;", "&nbsp;", "&#233;", "&#x0;", "&#xD800;", "&#1114112;", "&undefined;",
                               "&a;", "&lol;", "&", "&#;"])
FRAGMENT = st.one_of(
    ANY_TEXT.map(lambda t: t.replace("&", "&amp;").replace("<", "&lt;")),  # escaped text
    ANY_TEXT,  # raw text: may break the XML, as real feeds do
    ENTITY_REFS,
    ANY_TEXT.map(lambda t: f"<![CDATA[{t}]]>"),
    st.sampled_from(["<b>", "</b>", "<p>bold</p>", "<br/>", "<!-- c -->", "<script>x</script>", "<unclosed", "]]>", "<?pi x?>"]),
)
TEXTS = st.lists(FRAGMENT, max_size=6).map("".join)


@st.composite
def doctypes(draw) -> str:
    if not draw(st.booleans()):
        return ""
    decls = []
    for name in draw(st.lists(NAMES, max_size=4)):
        value = draw(st.one_of(st.text("ab &;", max_size=30), st.sampled_from(["&a;&a;&a;", "&lol;" * 10, "x" * 500]),
                               st.just('SYSTEM "file:///etc/passwd"')))
        decls.append(f'<!ENTITY {name} {value}>' if value.startswith("SYSTEM") else f'<!ENTITY {name} "{value}">')
    if draw(st.booleans()):
        decls.append('<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;')
    separator = draw(st.sampled_from(["\n", " ", ""]))
    return f"<!DOCTYPE {draw(st.sampled_from(['rss', 'feed', 'x']))} [{separator}{separator.join(decls)}{separator}]>\n"


@st.composite
def feed_documents(draw) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["rss", "atom", "rdf"]))
    items = []
    for _ in range(draw(st.integers(0, 4))):
        title, body, link = draw(TEXTS), draw(TEXTS), draw(st.sampled_from(["http://a.example/1", "", "javascript:x", draw(TEXTS)]))
        if kind == "atom":
            items.append(f"<entry><id>{draw(TEXTS)}</id><title>{title}</title><link href=\"{link}\"/><content type=\"html\">{body}</content></entry>")
        else:
            items.append(f"<item><title>{title}</title><link>{link}</link><guid>{draw(TEXTS)}</guid><description>{body}</description></item>")
    inner = "".join(items)
    if kind == "rss":
        doc = f'<rss version="2.0"><channel><title>{draw(TEXTS)}</title>{inner}</channel></rss>'
    elif kind == "atom":
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{draw(TEXTS)}</title>{inner}</feed>'
    else:
        doc = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
               f"<channel><title>{draw(TEXTS)}</title></channel>{inner}</rdf:RDF>")
    declared = draw(st.sampled_from(["utf-8", "iso-8859-1", "utf-16", "windows-1252", "utf-7", "x-bogus", None]))
    actual = draw(st.sampled_from(["utf-8", "iso-8859-1", "utf-16", "cp1252", "utf-7"]))
    head = f'<?xml version="1.0" encoding="{declared}"?>\n' if declared else ""
    data = (head + draw(doctypes()) + doc).encode(actual, errors="replace")
    if draw(st.booleans()):  # a cut-off body
        data = data[: draw(st.integers(0, len(data)))]
    return data, draw(st.sampled_from(CONTENT_TYPES))


@FUZZ
@given(feed_documents())
def test_feed_parser_on_random_feed_like_xml(document):
    data, content_type = document
    parsed = check_feed(data, content_type)
    if parsed is not None:
        # No entity expansion: what comes out is never much more than what went in.
        size = sum(len(i.title or "") + len(i.summary) + len(i.content) for i in parsed.items)
        assert size <= 4 * len(data) + 100
        assert all("root:" not in (i.summary + i.content + (i.title or "")) for i in parsed.items)


@FUZZ
@given(feed_documents())
def test_prefilter_on_random_feed_like_xml(document):
    data, _content_type = document
    result = drop_seen(data, URL, lambda keys: "id:" in keys[0] if keys else False)
    if result is not None and result.data is not None:
        assert b"root:" not in result.data


@pytest.mark.parametrize("data", [b"", b"<", b"<?xml", b"\xff\xfe", b"\xef\xbb\xbf", b"\x00" * 10])
def test_edge_bytes(data):
    check_feed(data, "")
    read_all(data, ".json")
