"""HTML page to RawDocument: main text and metadata via trafilatura."""

from __future__ import annotations

from html import unescape

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import Document
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

from ..errors import InputError
from ..models import RawDocument
from ..normalize.cleanup import clean_text, without_controls
from .decode import decode_text
from .tables import rows_as_lines, sort_tables

# What trafilatura is asked for (bench/html_pages.py gives bare trafilatura the same). Dates from
# metadata and markup only: an extensive search takes footer copyright years for dates.
EXTRACTION_OPTIONS = {
    "with_metadata": True,
    "include_comments": False,
    "include_tables": True,
    "date_extraction_params": {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"},
}


def read_html(origin: str, data: bytes, url: str | None = None) -> RawDocument:
    """An HTML file's bytes to a RawDocument: decoded as its charset says, then read."""
    return html_to_document(origin, decode_text(origin, data, html=True), url)


def html_to_document(origin: str, html: str, url: str | None = None) -> RawDocument:
    """The page's main text with title, description, date, canonical URL, site and author."""
    try:
        doc = _extract(html, url)
    except Exception as exc:  # trafilatura raises lxml and its own errors on hostile markup
        raise InputError(origin, f"HTML could not be parsed: {type(exc).__name__}: {exc}") from None
    if doc is None or not (doc.text or "").strip():
        raise InputError(origin, "no main text found in the HTML page")
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return RawDocument(
        kind="html",
        origin=origin,
        text=doc.text,
        title=doc.title or None,
        standfirst=doc.description or None,
        url=doc.url or url,
        source=doc.sitename or None,
        published=doc.date or None,
        authors=authors,
    )


def _extract(html: str, url: str | None) -> Document | None:
    """trafilatura's reading of the page, its tables sorted before and their rows made lines after."""
    tree = load_html(html)  # the one parse: trafilatura reads this tree, not the string again
    if tree is None:
        return None
    sort_tables(tree)
    doc = trafilatura.bare_extraction(tree, url=url, **EXTRACTION_OPTIONS)
    if doc is not None and rows_as_lines(doc.body):
        # Rendered again as trafilatura renders its body, so only the tables read differently;
        # a page without tables keeps trafilatura's own text.
        doc.text = xmltotxt(doc.body, include_formatting=False)
    return doc


_BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article", "figure"}
_DROP = {"script", "style", "noscript", "iframe", "figcaption"}


def fragment_text(html: str) -> str:
    """Text of an HTML fragment (a feed item's summary or content), paragraphs kept apart."""
    if "<" not in html:
        return clean_text(unescape(html))
    try:
        root = lxml.html.fragment_fromstring(without_controls(html), create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_text(unescape(html))
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # comments and processing instructions
            continue
        if element.tag in _DROP:
            element.drop_tree()
        elif element.tag in _BLOCKS:
            element.tail = "\n\n" + (element.tail or "")
    return clean_text(root.text_content())
