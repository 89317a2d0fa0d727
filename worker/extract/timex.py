"""When a sentence says something happened, resolved against the publication date.

Pure: a sentence and the article's publication time in, a ``TimeRef`` out, keeping how
precise the text was: "on January 3, 2020" is a day, "in November" a month (of the year
before, in a January article), "in 2011" a year, "since 2003" a period that runs to the
publication date. Relative words ("on Friday", "yesterday", "last week", "last month",
"last year") count back from the publication date. A sentence that says nothing is the
publication day.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ..keys import TimeRef
from ..normalize.dates import latest_date_in_text

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]
_MONTH_ALT = "|".join(m.capitalize() for m in _MONTHS) + "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

_SINCE_YEAR = re.compile(rf"\b(?i:since)\s+(?:(?:the\s+)?[\w-]+(?:\s+[\w-]+){{0,4}}\s+in\s+)?(?:(?P<month>{_MONTH_ALT})\s+)?(?P<year>(?:19|20)\d\d)\b")
_MONTH_DAY = re.compile(rf"\b(?P<month>{_MONTH_ALT})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*(?:19|20)\d\d)(?!\s*(?:per|%|troops|soldiers|people))")
_DAY_MONTH = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_MONTH_ALT})\b(?!\.?,?\s*(?:19|20)\d\d)")
_WEEKDAY = re.compile(r"\b(?:on\s+|last\s+)?(?P<day>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_YESTERDAY = re.compile(r"\byesterday\b", re.I)
_LAST = re.compile(r"\b(?:last|the\s+previous|the\s+past)\s+(?P<unit>week|month|year)\b", re.I)
_MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH_ALT})\.?,?\s+(?P<year>(?:19|20)\d\d)\b")
_MONTH_ALONE = re.compile(rf"\b(?i:in|since|from|during|early|late|mid-?|last|this|of)\s+(?P<month>{_MONTH_ALT})\b(?!\.?\s*\d)")
# A month still to come in a plan ("will leave in March") dates nothing but the announcement.
_FUTURE = re.compile(r"\b(?:will|would|shall|plans?|planned|planning|expected|scheduled|set to|due to|is to|are to|intends?)\b", re.I)
_IN_YEAR = re.compile(r"\b(?<!since )(?:in|during|by the end of|at the end of|back in|of)\s+(?P<year>(?:19|20)\d\d)\b(?!\s*(?:per|%))", re.I)


def resolve_time(sentence: str, published: datetime | None) -> TimeRef | None:
    """The time ``sentence`` sets its event in; None only when there is no publication date."""
    if published is None:
        return None
    day = _midnight(published)
    for rule in (_full_date, _since, _month_and_day, _yesterday, _weekday, _last_unit, _month_year, _month_alone, _in_year):
        found = rule(sentence, day)
        if found is not None:
            return found
    return TimeRef(day)


def _midnight(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def _month_number(name: str) -> int:
    return next(i for i, m in enumerate(_MONTHS, start=1) if m.startswith(name.lower()[:3]))


def _full_date(sentence: str, day: datetime) -> TimeRef | None:
    named = latest_date_in_text(sentence, day + timedelta(days=1))
    return TimeRef(_midnight(named)) if named else None


def _since(sentence: str, day: datetime) -> TimeRef | None:
    match = _SINCE_YEAR.search(sentence)
    if not match or int(match["year"]) > day.year:
        return None
    month = _month_number(match["month"]) if match["month"] else 1
    return TimeRef(day.replace(year=int(match["year"]), month=month, day=1), "period", day)


def _month_and_day(sentence: str, day: datetime) -> TimeRef | None:
    """"on January 3", "3 January": the latest such day not after publication."""
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        match = pattern.search(sentence)
        if match:
            try:
                found = day.replace(month=_month_number(match["month"]), day=int(match["day"]))
            except ValueError:
                continue
            if found > day:
                try:
                    found = found.replace(year=found.year - 1)
                except ValueError:  # 29 February
                    continue
            return TimeRef(found)
    return None


def _yesterday(sentence: str, day: datetime) -> TimeRef | None:
    return TimeRef(day - timedelta(days=1)) if _YESTERDAY.search(sentence) else None


def _weekday(sentence: str, day: datetime) -> TimeRef | None:
    """"on Friday": the latest Friday on or before the publication day ("last Friday": before it)."""
    match = _WEEKDAY.search(sentence)
    if not match:
        return None
    back = (day.weekday() - _WEEKDAYS.index(match["day"].lower())) % 7
    if back == 0 and match.group(0).lower().startswith("last"):
        back = 7
    return TimeRef(day - timedelta(days=back))


def _last_unit(sentence: str, day: datetime) -> TimeRef | None:
    match = _LAST.search(sentence)
    if not match:
        return None
    unit = match["unit"].lower()
    if unit == "year":
        return TimeRef(day.replace(year=day.year - 1, month=1, day=1), "year")
    if unit == "month":
        first = day.replace(day=1) - timedelta(days=1)
        return TimeRef(first.replace(day=1), "month")
    monday = day - timedelta(days=day.weekday() + 7)
    return TimeRef(monday, "period", monday + timedelta(days=6))


def _month_year(sentence: str, day: datetime) -> TimeRef | None:
    match = _MONTH_YEAR.search(sentence)
    if not match:
        return None
    found = day.replace(year=int(match["year"]), month=_month_number(match["month"]), day=1)
    return TimeRef(found, "month") if found <= day else None


def _month_alone(sentence: str, day: datetime) -> TimeRef | None:
    """"In November" in a January article: November of the year before."""
    match = _MONTH_ALONE.search(sentence)
    if not match:
        return None
    month = _month_number(match["month"])
    if month > day.month and _FUTURE.search(sentence):
        return None
    year = day.year if month <= day.month else day.year - 1
    return TimeRef(day.replace(year=year, month=month, day=1), "month")


def _in_year(sentence: str, day: datetime) -> TimeRef | None:
    years = [int(m["year"]) for m in _IN_YEAR.finditer(sentence) if int(m["year"]) < day.year]
    if not years:
        return None
    return TimeRef(day.replace(year=max(years), month=1, day=1), "year")
