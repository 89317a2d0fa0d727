"""One article page: robots.txt, the guarded fetch, trafilatura's reading, provenance.

The document says three URLs: ``origin`` the one asked for, ``url`` where the redirects
ended (what was read), and ``canonical_url`` the page's own <link rel="canonical">, which
names the article (its id) so that a second visit, by any link, is the same article.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from ..errors import InputError
from ..feeds.errors import FetchError
from ..feeds.http import PAGE_ACCEPT
from ..models import Failure, RawDocument
from ..robots.gate import RobotsGate
from ..sources.decode import decode_text
from ..sources.html import html_to_document
from ..sources.metadata import Overrides
from .requests import PageRequest

HTML_TYPES = ("text/html", "application/xhtml+xml")


class PageReader:
    def __init__(self, gate: RobotsGate):
        # Every page is fetched through the gate: robots.txt and Crawl-delay before each hop.
        self.gate = gate

    def read(self, request: PageRequest) -> RawDocument:
        """The page as a RawDocument; FetchError (RobotsRefused among them) or InputError naming it."""
        url = request.url
        result = self.gate.get(url, accept=PAGE_ACCEPT)
        if result.status != 200:
            raise FetchError(url, f"HTTP {result.status}" + (f" (after redirects, at {result.final_url})"
                                                            if result.final_url != url else ""), status=result.status,
                             transient=result.status in (429, 500, 502, 503, 504))
        kind = result.content_type.split(";")[0].strip().lower()
        if kind and kind not in HTML_TYPES:
            raise InputError(url, f"not an HTML page (Content-Type {kind}): not read")
        page = html_to_document(url, decode_text(url, result.content, html=True), url=result.final_url)
        hints = Overrides(title=request.title, source=request.source, published=request.published, authoritative=True)
        return hints.apply(page).model_copy(update={
            "kind": "url", "url": result.final_url, "canonical_url": canonical_of(result.final_url, page.url),
        })


def canonical_of(final_url: str, declared: str | None) -> str:
    """The page's canonical URL when it names the same site, else the URL it was read at.

    A page may only speak for its own site: a canonical pointing elsewhere would let any page
    take (and overwrite) another outlet's article id.
    """
    if declared and urlsplit(declared).scheme in ("http", "https") and _site(declared) == _site(final_url):
        return declared
    return final_url


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def read_pages(requests: Iterable[PageRequest], reader: PageReader, refused: list[PageRequest] | None = None
               ) -> Iterator[RawDocument | Failure]:
    """Each request's document, or its Failure (URL and reason); ``refused`` collects the requests
    whose failure is worth retrying later (network, busy host)."""
    for request in requests:
        try:
            yield reader.read(request)
        except FetchError as exc:
            if exc.transient and refused is not None:
                refused.append(request)
            yield Failure(origin=request.url, reason=exc.reason, stage="read")
        except InputError as exc:
            yield Failure(origin=request.url, reason=exc.reason, stage="read")
