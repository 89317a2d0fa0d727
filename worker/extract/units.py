"""What a percentage counts: what the share is of ("2% of GDP", "40 per cent of voters").

The parse leaves it empty (the number is its own noun); this fills it from the words after
the figure. Money keeps an empty ``counts``: an amount counts its currency, which its text
already shows. Pure.
"""

from __future__ import annotations

import re

from ..models import Figure

SHARE_OF = re.compile(r"^\s*(?:per ?cent|percent|%)?\s*of\s+(?:its |their |the |his |her |our |a |an )?(?P<what>[\w -]{2,40}?)(?=[,.;:)]|\s+(?:on|in|for|by|to|and|from|since|this|last|a|per)\b|$)", re.I)
NAMES = {"gross domestic product": "GDP", "gdp": "GDP", "economic output": "GDP"}


def with_unit(figure: Figure) -> Figure:
    """``figure`` with ``counts`` for a percentage of something."""
    if figure.counts or figure.category != "percent":
        return figure
    match = SHARE_OF.match(_after(figure))
    if not match:
        return figure
    what = match["what"].strip()
    return figure.model_copy(update={"counts": NAMES.get(what.lower(), what)})


def _after(figure: Figure) -> str:
    at = figure.sentence.find(figure.text)
    return figure.sentence[at + len(figure.text):] if at >= 0 else ""
