"""Publication dates: parse what a source gives, else find the article's own date in its text."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
# "January 15, 2021", "15 January 2021", "2021-01-15": only dates that name a day and a year.
_TEXT_DATES = [
    re.compile(rf"\b(?P<month>{_MONTHS})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_MONTHS})\.?,?\s+(?P<year>(?:19|20)\d\d)\b"),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mon>\d\d)-(?P<day>\d\d)\b"),
]
_MONTH_NUMBER = {name[:3].lower(): i for i, name in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}


def parse_date(value: str | None) -> datetime | None:
    """A date as given by a source (ISO 8601, RFC 822, epoch seconds, or prose) in UTC."""
    if not value or not value.strip():
        return None
    value = value.strip()
    for parser in (_iso, _rfc822, _epoch, _prose):
        parsed = parser(value)
        if parsed is not None:
            return to_utc(parsed)
    return None


def to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def latest_date_in_text(text: str, now: datetime | None = None) -> datetime | None:
    """The most recent full date the text mentions that is not in the future.

    A news text's newest dated event is its own day far more often than not (older
    dates are background); this is the fallback when no source gives a date.
    """
    now = to_utc(now) if now else datetime.now(timezone.utc)
    found = [d for d in _dates_in(text) if d <= now]
    return max(found) if found else None


def _dates_in(text: str) -> list[datetime]:
    found = []
    for pattern in _TEXT_DATES:
        for match in pattern.finditer(text):
            parts = match.groupdict()
            month = int(parts["mon"]) if parts.get("mon") else _MONTH_NUMBER[parts["month"][:3].lower()]
            try:
                found.append(datetime(int(parts["year"]), month, int(parts["day"]), tzinfo=timezone.utc))
            except ValueError:
                continue
    return found


def _iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _rfc822(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _epoch(value: str) -> datetime | None:
    if not re.fullmatch(r"\d{9,10}(?:\.\d+)?", value):
        return None
    return datetime.fromtimestamp(float(value), tz=timezone.utc)


def _prose(value: str) -> datetime | None:
    parser = _dateparser()
    return parser.parse(value, settings={"RETURN_AS_TIMEZONE_AWARE": True, "TO_TIMEZONE": "UTC"})


@lru_cache(maxsize=1)
def _dateparser():
    # dateparser takes a second to import its language data; only prose dates need it.
    import dateparser

    return dateparser
