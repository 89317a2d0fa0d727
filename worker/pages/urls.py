"""The URLs of `newsworker ingest URL...` and `--urls FILE`: which arguments are URLs, and the
lines of a URL file. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from ..models import Failure


def is_url(argument: str) -> bool:
    """An argument with a scheme is a URL (and refused by name unless http or https), not a path."""
    head, sep, _ = argument.partition("://")
    return bool(sep) and head.isalpha()


def refusal(url: str) -> str | None:
    """Why ``url`` is not one we fetch, or None."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http or https URL"
    if not parts.hostname:
        return "URL has no host"
    if any(c.isspace() for c in url):
        return "URL contains white space"
    try:
        parts.port
    except ValueError:
        return "URL has an invalid port"
    return None


def read_url_lines(origin: str, text: str) -> tuple[list[str], list[Failure]]:
    """One URL per line; blank lines and # comments ignored; a bad line is a named refusal."""
    urls: list[str] = []
    failures: list[Failure] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip().lstrip("\ufeff").strip()  # a BOM is not part of the first line
        if not entry or entry.startswith("#"):
            continue
        why = refusal(entry)
        if why:
            failures.append(Failure(origin=f"{origin}:{number}", reason=f"{why}: {entry[:200]!r}", stage="read"))
        else:
            urls.append(entry)
    return urls, failures


def checked(urls: Iterable[str]) -> tuple[list[str], list[Failure]]:
    """URLs given as arguments: the good ones once each, in order, and the bad ones refused."""
    good: list[str] = []
    failures: list[Failure] = []
    for url in dict.fromkeys(urls):
        why = refusal(url)
        if why:
            failures.append(Failure(origin=url, reason=why, stage="read"))
        else:
            good.append(url)
    return good, failures
