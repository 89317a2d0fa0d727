"""Pieces of event keys shared by the extractor and the rollup: value buckets and slugs."""

from __future__ import annotations

import math
import re


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
