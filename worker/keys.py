"""Pieces of event keys shared by the extractor and the rollup: value buckets, slugs, dates."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

from .models import DatePrecision


def bucket(value: float | None) -> str:
    """Two significant figures: 2,480 and 2,500 land together; 2,500 and 3,000 do not."""
    if value is None:
        return "-"
    if value == 0:
        return "0"
    digits = 2 - int(math.floor(math.log10(abs(value)))) - 1
    return f"{round(value, digits):.0f}" if digits <= 0 else f"{round(value, digits):g}"


def slug(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") if text else "-"


@dataclass(frozen=True)
class TimeRef:
    date: datetime
    precision: DatePrecision = "day"
    end: datetime | None = None  # the end of a period
    # False when the text said no time and this is the publication day it fell back to.
    stated: bool = field(default=True, compare=False)

    def render(self) -> str:
        """"15 Jan 2021", "Nov 2020", "2011", "2003 - 15 Jan 2021"."""
        return self._format(SHOWN)

    def key(self) -> str:
        """The date as precise as the text was: 2021-01-15, 2020-11, 2011, 2003-01-01/2021-01-15."""
        return self._format(KEYED)

    def _format(self, formats: dict[str, str]) -> str:
        if self.precision == "period" and self.end is not None:
            whole_years = formats is SHOWN and (self.date.month, self.date.day) == (1, 1)
            return f"{self.date:{formats['year'] if whole_years else formats['day']}}{formats['period']}{self.end:{formats['day']}}"
        return f"{self.date:{formats.get(self.precision, formats['day'])}}"


# How each precision is shown to people and written into keys ("period" joins start and end).
SHOWN = {"year": "%Y", "month": "%b %Y", "day": "%-d %b %Y", "period": " - "}
KEYED = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d", "period": "/"}
