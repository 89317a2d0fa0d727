"""Parsing the compact filter syntax of `newsworker search`. Pure functions."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import get_args

from ..models import FigureCategory
from ..normalize.dates import parse_date

CATEGORIES = get_args(FigureCategory)
_FIGURE = re.compile(
    r"^\s*(?P<category>[a-z_]+)?\s*"
    r"(?:(?P<op>>=|<=|>|<|=)\s*(?P<value>[\d,._]+(?:e\d+)?)|:\s*(?P<low>[\d,._]*)\.\.(?P<high>[\d,._]*))?\s*$",
    re.IGNORECASE,
)


class FilterSyntaxError(ValueError):
    pass


def parse_figure(text: str) -> tuple[str | None, float | None, float | None]:
    """'troops>=2000', 'killed:4000..5000', 'money', '>1e6' -> (category, min, max)."""
    match = _FIGURE.match(text)
    if not match or not any(match.groupdict().values()):
        raise FilterSyntaxError(
            f"cannot read figure filter {text!r}: write CATEGORY, CATEGORY>=N, CATEGORY<=N or CATEGORY:LOW..HIGH"
        )
    category = (match["category"] or "").lower() or None
    if category and category not in CATEGORIES:
        raise FilterSyntaxError(f"unknown figure category {category!r}: use one of {', '.join(CATEGORIES)}")
    low = high = None
    if match["op"]:
        value = _number(match["value"])
        op = match["op"]
        # The query's bounds are inclusive; a strict bound is the next float past the value.
        low = value if op in (">=", "=") else math.nextafter(value, math.inf) if op == ">" else None
        high = value if op in ("<=", "=") else math.nextafter(value, -math.inf) if op == "<" else None
    elif match["low"] is not None:
        low = _number(match["low"]) if match["low"] else None
        high = _number(match["high"]) if match["high"] else None
    return category, low, high


_YEAR_OR_MONTH = re.compile(r"^\s*(?P<year>\d{4})(?:-(?P<month>\d{1,2}))?\s*$")


def parse_day(text: str, end_of_day: bool = False) -> datetime:
    """A date for --since/--until: ISO, prose ('15 January 2021'), 'N days ago', or a year or
    month alone ('2021' since its first day, until its last)."""
    whole = _YEAR_OR_MONTH.match(text)
    if whole:
        return _period_edge(int(whole["year"]), int(whole["month"]) if whole["month"] else None, end_of_day, text)
    parsed = parse_date(text)
    if parsed is None:
        raise FilterSyntaxError(f"cannot read date {text!r}: write e.g. 2021-01-15")
    if end_of_day and parsed.time() == datetime.min.time():
        parsed = _plus_a_day_less_a_second(parsed)
    return parsed.astimezone(timezone.utc)


def _period_edge(year: int, month: int | None, end: bool, text: str) -> datetime:
    """The first moment of a year or month, or (``end``) its last."""
    if not 1 <= year <= 9999 or (month is not None and not 1 <= month <= 12):
        raise FilterSyntaxError(f"cannot read date {text!r}: write e.g. 2021, 2021-03 or 2021-01-15")
    if not end:
        return datetime(year, month or 1, 1, tzinfo=timezone.utc)
    last = month or 12
    if (year, last) == (9999, 12):
        return datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    following = datetime(year + last // 12, last % 12 + 1, 1, tzinfo=timezone.utc)
    return following - timedelta(seconds=1)


def _plus_a_day_less_a_second(day: datetime) -> datetime:
    try:
        return day + timedelta(days=1) - timedelta(seconds=1)
    except OverflowError:  # 9999-12-31: the last moment there is
        return day.replace(hour=23, minute=59, second=59)


def _number(text: str) -> float:
    try:
        value = float(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise FilterSyntaxError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise FilterSyntaxError(f"{text!r} is too large a number for a figure filter")
    return value
