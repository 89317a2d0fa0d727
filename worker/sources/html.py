"""HTML page to RawDocument: main text and metadata via trafilatura."""

from __future__ import annotations

import trafilatura

from ..errors import InputError
from ..models import RawDocument

# Metadata and markup only: an extensive search takes footer copyright years for dates.
_DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


def html_to_document(origin: str, html: str, url: str | None = None) -> RawDocument:
    """The page's main text with title, description, date, canonical URL, site and author."""
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            date_extraction_params=_DATE_PARAMS,
        )
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
