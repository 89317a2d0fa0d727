"""What a percentage or an amount counts: what the share is of ("2% of GDP", "40 per cent of
voters"), the currency an amount is in ("$8.6 billion": dollars, "500 million zlotys").

The parse leaves both empty (the number is its own noun); this fills them from the figure's
text and the words around it. Pure.
"""

from __future__ import annotations

import re

from ..models import Figure
from .lexicon import CURRENCY_SIGNS, CURRENCY_WORDS

SHARE_OF = re.compile(r"^\s*(?:per ?cent|percent|%)?\s*of\s+(?:its |their |the |his |her |our |a |an )?(?P<what>[\w -]{2,40}?)(?=[,.;:)]|\s+(?:on|in|for|by|to|and|from|since|this|last|a|per)\b|$)", re.I)
NAMES = {"gross domestic product": "GDP", "gdp": "GDP", "economic output": "GDP"}


CURRENCY_AFTER = re.compile(
    r"^\s*(?:(?:million|billion|trillion|bn|mn|m|k)\b\s*)?(?:[A-Z][a-z]+\s+|CFA\s+)?(?P<what>"
    + "|".join(sorted({f"{w}s?" for w in CURRENCY_WORDS} | {"reais", "kronor", "kroner"}, key=len, reverse=True))
    + r")\b", re.I)


def with_unit(figure: Figure) -> Figure:
    """``figure`` with ``counts`` for a percentage of something, or an amount's currency."""
    if figure.counts:
        return figure
    if figure.category == "money":
        currency = currency_of(figure)
        return figure.model_copy(update={"counts": currency}) if currency else figure
    if figure.category != "percent":
        return figure
    match = SHARE_OF.match(_after(figure))
    if not match:
        return figure
    what = match["what"].strip()
    return figure.model_copy(update={"counts": NAMES.get(what.lower(), what)})


def currency_of(figure: Figure) -> str | None:
    """The currency an amount is in, as a plural noun ("dollars"), from its sign or the word after it."""
    sides = figure.around()
    before = sides[0][-4:].lower() if sides else ""
    text = figure.text.lower()
    for sign, name in CURRENCY_SIGNS.items():
        if text.startswith(sign) or before.endswith(sign):
            return name
    match = CURRENCY_AFTER.match(_after(figure))
    if not match:
        return None
    word = match["what"].lower()
    return word if word.endswith("s") or word in _UNCOUNTED else word + "s"


# Currencies whose plural is the singular: "1.5 trillion won", "200 billion yen".
_UNCOUNTED = {"yen", "yuan", "renminbi", "won", "naira", "rand", "baht", "ringgit", "rupiah", "taka", "birr",
              "kwacha", "sterling", "lira", "reais", "kronor", "kroner"}


def _after(figure: Figure) -> str:
    sides = figure.around()
    return sides[1] if sides else ""
