"""Lines that are not the article: photo captions and credits, translation notices,
bylines and page boilerplate. Each rule is a pattern over one whole paragraph."""

from __future__ import annotations

import re

_AGENCIES = r"(?:AFP|AP|Reuters|EPA|Getty Images|Getty|Anadolu|Xinhua|WAM|SPA|Bloomberg|Shutterstock)"

CAPTION = [
    re.compile(r"^\((?:FILES?|AFP|PHOTO|FILE PHOTO)\)", re.IGNORECASE),
    re.compile(r"^(?:FILE PHOTO|Photo|Photograph|Picture|Image|Credit)(?:\s*[:|]|\s+[-–]\s)", re.IGNORECASE),
    re.compile(r"\bIn this (?:file )?photo (?:taken|released|made)\b", re.IGNORECASE),
    # "... / AFP / SAUL LOEB" or "... (Photo by X/Getty Images)" closing the paragraph.
    re.compile(rf"/\s*{_AGENCIES}(?:\s*/\s*[A-Z][A-Za-z .'\-]+)?\s*\)?\s*$"),
    re.compile(rf"\((?:Photo|Image|Picture)[^)]*{_AGENCIES}[^)]*\)\s*$", re.IGNORECASE),
]

NOTICE = [
    re.compile(r"^(?:Powered by )?(?:automated|machine) translation\.?$", re.IGNORECASE),
    re.compile(r"^(?:Advertisement|Advertising|Sponsored|Share this article|Share|Read more|Related)\s*:?$", re.IGNORECASE),
    re.compile(r"^(?:Read more|Related(?: articles?| stories| coverage| content| links?)?)\s*:.{0,160}$", re.IGNORECASE),
    re.compile(r"^(?:Sign up|Subscribe)\b.{0,80}\bnewsletters?\b.{0,80}$|^Follow us on\b.{0,80}$", re.IGNORECASE),
    re.compile(r"^(?:Copyright|©|\(c\))\s.{0,160}$|All rights reserved\.?$", re.IGNORECASE),
]

BYLINE = re.compile(r"^By\s+((?:[A-Z][\w.'\-]+\s?){1,4}(?:(?:,|\s+and)\s+(?:[A-Z][\w.'\-]+\s?){1,4})*)$")


def is_caption(paragraph: str) -> bool:
    return any(rule.search(paragraph) for rule in CAPTION)


def is_notice(paragraph: str) -> bool:
    return any(rule.search(paragraph) for rule in NOTICE)


def byline_authors(paragraph: str) -> list[str] | None:
    """Author names if the paragraph is a byline ("By Jane Doe and John Roe"), else None."""
    match = BYLINE.match(paragraph.strip())
    if not match:
        return None
    names = re.split(r",\s*|\s+and\s+", match.group(1).strip())
    return [name.strip() for name in names if name.strip()]


def split_noise(paragraphs: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(kept paragraphs, removed paragraphs, authors found in bylines)."""
    kept: list[str] = []
    removed: list[str] = []
    authors: list[str] = []
    for paragraph in paragraphs:
        names = byline_authors(paragraph)
        if names:
            authors.extend(names)
            removed.append(paragraph)
        elif is_caption(paragraph) or is_notice(paragraph):
            removed.append(paragraph)
        else:
            kept.append(paragraph)
    return kept, removed, authors
