"""Troops that move: a decrease where they leave, an increase where they arrive.

"The Pentagon will move 1,000 troops from Germany to Italy" is not "1,000 more troops in
Germany", nor "Italy's troops": it is a change of -1,000 at the origin and +1,000 at the
destination. "Bring 500 troops home from Syria" is a decrease in Syria (home is not a
deployment). Pure: a sentence and the change events read from it in, events out.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..models import EventMention, EventPart

MOVING = re.compile(
    r"\b(?:mov(?:e|es|ed|ing)|relocat\w*|shift\w*|transfer\w*|redeploy\w*|reposition\w*|brought|bring\w*|"
    r"return\w*|sen[dt]\w*|fl(?:y|ew|own|ies)|withdr[ae]w\w*|pull\w*|cross\w*|head\w*)\b", re.I)
_NAME = r"((?:the\s+)?[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|of|al-\w+))*)"
FROM = re.compile(r"\b(?:from|out of|leaving)\s+" + _NAME)
TO = re.compile(r"\b(?:to|into|for)\s+" + _NAME)
HOME = re.compile(r"\b(?:home|back to (?:the )?(?:United States|US|U\.S\.|Britain|France|Germany))\b")


def place_in(text: str, is_place: Callable[[str], str | None]) -> str | None:
    """The canonical place a run of capitalised words starts with ("Germany", "Camp Blaz")."""
    words = re.sub(r"^the\s+", "", text).split()
    for size in range(min(len(words), 4), 0, -1):
        found = is_place(" ".join(words[:size]).rstrip(".,;:"))
        if found:
            return found
    return None


def split_movements(sentence: str, events: list[EventMention], is_place: Callable[[str], str | None]) -> list[EventMention]:
    """Change events of a sentence that moves troops, as a decrease at the origin and an
    increase at the destination; the rest as they were."""
    if not MOVING.search(sentence):
        return events
    origin = _first_place(FROM, sentence, is_place)
    destination = _first_place(TO, sentence, is_place)
    home = bool(HOME.search(sentence))
    out: list[EventMention] = []
    for event in events:
        amount = event.value
        if (event.type != "troop_level_change" or amount is None or event.parts
                or event.from_value is not None or event.to_value is not None):
            out.append(event)
            continue
        # "returning to America" with American troops: going home is no deployment either.
        arriving = None if home or (destination is not None and destination == event.actor) else destination
        if origin and arriving and origin != arriving:
            out.append(event.model_copy(update={"location": origin, "delta": -amount}))
            out.append(event.model_copy(update={"location": arriving, "delta": amount}))
        elif origin and (home or arriving == event.actor or event.location in (event.actor, arriving)):
            # "return 6,400 to the United States from Germany", "bring 500 home from Syria"
            out.append(event.model_copy(update={"location": origin, "delta": -amount}))
        else:
            out.append(event)
    return out


def join_breakdown(sentence: str, events: list[EventMention], is_place: Callable[[str], str | None]) -> list[EventMention]:
    """A withdrawal told with its pieces ("of the 12,000 ..., 6,400 ... and 5,600 ...") is one
    change of the whole, the pieces kept as its parts, not three levels."""
    troops = [e for e in events if e.type != "casualties" and _amount(e) is not None]
    if len(troops) < 3:
        return events
    found = _whole_and_pieces(sentence, troops)
    if found is None:
        return events
    whole, pieces = found
    amount = _amount(whole) or 0
    origin = _first_place(FROM, sentence, is_place) or whole.location
    parts = [EventPart(value=_amount(e) or 0, destination=e.location if e.location != origin else None) for e in pieces]
    # Whose troops: not the country they leave ("troops leaving Germany" are not Germany's).
    actor = next((e.actor for e in (whole, *pieces) if e.actor and e.actor != origin), None)
    change = whole.model_copy(update={
        "type": "troop_level_change", "location": origin, "actor": actor, "value": amount, "from_value": None,
        "to_value": None, "delta": -amount, "parts": parts,
    })
    taken = {id(e) for e in pieces}  # by identity: two pieces may be equal
    return [change if e is whole else e for e in events if id(e) not in taken]


def _whole_and_pieces(sentence: str, troops: list[EventMention]) -> tuple[EventMention, list[EventMention]] | None:
    """The whole the sentence names ("of the 11,900", "12,000 ..., with") and the smaller numbers
    that add up to it, give or take rounding; a larger number beside them ("leaving about
    24,000 in Germany") is what remains, not the whole."""
    for whole in sorted(troops, key=lambda e: -(_amount(e) or 0)):
        amount = _amount(whole) or 0
        if not (_of_the(sentence, amount) or _with_pieces(sentence, amount)):
            continue
        pieces = [e for e in troops if e is not whole and (_amount(e) or 0) < amount]
        total = sum(_amount(e) or 0 for e in pieces)
        if len(pieces) >= 2 and 0.6 * amount <= total <= 1.05 * amount:
            return whole, pieces
    return None


def _first_place(pattern: re.Pattern[str], sentence: str, is_place: Callable[[str], str | None]) -> str | None:
    """The first place a FROM or TO phrase of the sentence names."""
    return next((p for m in pattern.finditer(sentence) if (p := place_in(m.group(1), is_place))), None)


def _of_the(sentence: str, whole: float) -> bool:
    number = re.escape(f"{whole:,.0f}")
    return bool(re.search(rf"\bof (?:the |those |these |its |their )?(?:\w+ )?{number}\b", sentence, re.I)
                or re.search(rf"\b{number}\b.*\bof (?:those|them|whom)\b", sentence, re.I))


def _with_pieces(sentence: str, whole: float) -> bool:
    """The whole, then its pieces: "withdraw nearly 12,000 troops, with about 6,400 returning home and ..."."""
    number = re.escape(f"{whole:,.0f}")
    return bool(re.search(rf"\b{number}\b[^.;]*?,\s+(?:with|including|of whom|among them)\s+(?:about |some |roughly |around |nearly )?\d", sentence, re.I))


def _amount(event: EventMention) -> float | None:
    return event.value if event.value is not None else event.to_value
