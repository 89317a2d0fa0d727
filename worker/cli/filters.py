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


def parse_day(text: str, end_of_day: bool = False) -> datetime:
    """A date for --since/--until: ISO, prose ('15 January 2021'), or 'N days ago'."""
    parsed = parse_date(text)
    if parsed is None:
        raise FilterSyntaxError(f"cannot read date {text!r}: write e.g. 2021-01-15")
    if end_of_day and parsed.time() == datetime.min.time():
        parsed = parsed + timedelta(days=1) - timedelta(seconds=1)
    return parsed.astimezone(timezone.utc)


def _number(text: str) -> float:
    try:
        return float(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise FilterSyntaxError(f"{text!r} is not a number") from None
