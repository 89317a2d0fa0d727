"""Identity of an article: canonical URL, stable id, content hash, simhash."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid|ocid|at_\w+)$", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)
ID_LENGTH = 20
SHINGLE = 3


def canonical_url(url: str | None) -> str | None:
    """Lower-cased scheme and host, no default port, fragment or tracking parameters."""
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:  # "host:99999" or "host:abc": keep the URL as given rather than guess
        return url.strip()
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url.strip()
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, query, ""))


def item_url(url: str | None) -> str | None:
    """The canonical URL with the link's fragment kept: what names one item of a feed. On a page
    of many posts (Scripting News: one page a day) the anchor is the post."""
    canonical = canonical_url(url)
    fragment = urlsplit(url.strip()).fragment if canonical and url else ""
    return f"{canonical}#{fragment}" if fragment and "#" not in canonical else canonical


def content_hash(title: str, body: str) -> str:
    """Hash of the words of title and body, blind to case, spacing and punctuation."""
    words = _WORD.findall(f"{title}\n{body}".casefold())
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def article_id(canonical: str | None, digest: str, scope: str | None = None) -> str:
    """Stable id: from the canonical URL when there is one, else from the content hash.

    ``scope``: the feed whose own text a link came with (and the item's id in it, see
    feed_scope). A feed's word about a URL is not the page's: another feed, or the page
    fetched, must not be overwritten by it (link squatting).
    """
    basis = f"url:{canonical}" if canonical else f"content:{digest}"
    if canonical and scope:
        basis = f"feed:{scope}|{basis}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:ID_LENGTH]


def feed_scope(feed_url: str, entry_id: str | None) -> str:
    """The scope of a feed item's own text: its feed, and its id there. Two items of one feed
    that link one page under their own ids (two posts about one site) are two articles."""
    return f"{feed_url}|id:{entry_id}" if entry_id else feed_url


def simhash(text: str) -> str:
    """64-bit simhash over word 3-shingles, as 16 hex digits; near-duplicates differ in few bits."""
    words = _WORD.findall(text.casefold())
    if not words:
        return "0" * 16
    grams = [" ".join(words[i : i + SHINGLE]) for i in range(max(len(words) - SHINGLE + 1, 1))]
    digests = b"".join(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest() for g in grams)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(len(grams), 8), axis=1)
    majority = bits.sum(axis=0, dtype=np.int64) * 2 > len(grams)
    return np.packbits(majority).tobytes().hex()


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
