"""Title / standfirst / body of a document, with noise paragraphs removed."""

from __future__ import annotations

import re

from pydantic import BaseModel

from ..errors import InputError
from ..models import RawDocument
from .cleanup import clean_line, paragraphs
from .noise import split_noise

# A standfirst is one line of summary; longer than this it is the first body paragraph.
MAX_STANDFIRST_CHARS = 400
MAX_DERIVED_TITLE_CHARS = 120
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
# A wire dateline opens the story's first paragraph, never a standfirst: "MOGADISHU, Somalia
# (CNA) —", "SEOUL, Dec 30 (Reuters) -", "KABUL —".
_DATELINE = re.compile(r"^[A-Z][A-Z .'’-]{1,40}(?:,[^—–\n.]{1,40})?\s*(?:\([^)\n]{1,30}\)\s*)?[—–-]{1,2}\s")


class Layout(BaseModel):
    title: str
    standfirst: str
    body: str
    authors: list[str]
    removed: list[str]
    headline_only: bool = False


def split_layout(raw: RawDocument) -> Layout:
    """Plain text: title line, standfirst line, body; structured sources bring their own."""
    kept, removed, authors = split_noise(paragraphs(raw.text))
    title = clean_line(raw.title) if raw.title else ""
    standfirst = clean_line(raw.standfirst) if raw.standfirst else ""
    if raw.kind == "text" and not title:
        if len(kept) >= 3 and len(kept[1]) <= MAX_STANDFIRST_CHARS and not standfirst and not _DATELINE.match(kept[1]):
            title, standfirst, kept = kept[0], kept[1], kept[2:]
        elif len(kept) >= 2 or (kept and len(kept[0]) <= MAX_DERIVED_TITLE_CHARS):
            # A lone short line is a headline without a story, not a story.
            title, kept = kept[0], kept[1:]
    elif kept and title and clean_line(kept[0]) == title:
        kept = kept[1:]  # HTML and exports often repeat the headline as the first line
    if standfirst and kept and kept[0] == standfirst:
        # The standfirst repeated as the whole body is the body (a feed summary given as both).
        kept, standfirst = (kept[1:], standfirst) if len(kept) > 1 else (kept, "")
    if not kept and raw.kind == "feed" and title and raw.url:
        # A news headline with a link is searchable content; its text (none, an image, or the
        # headline again, as a commit feed gives it) is not a story of its own.
        return Layout(title=title, standfirst=standfirst, body=title, authors=raw.authors or authors, removed=removed,
                      headline_only=True)
    if not kept:
        reason = "no article text left after removing captions and boilerplate" if removed else "no article text"
        raise InputError(raw.origin, reason)
    body = "\n\n".join(kept)
    return Layout(
        title=title or derived_title(body),
        standfirst=standfirst,
        body=body,
        authors=raw.authors or authors,
        removed=removed,
    )


def derived_title(body: str) -> str:
    """First sentence of the body, shortened at a word, for sources that give no title."""
    first = _SENTENCE_END.split(body.split("\n", 1)[0], maxsplit=1)[0]
    if len(first) <= MAX_DERIVED_TITLE_CHARS:
        return first
    return first[:MAX_DERIVED_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
