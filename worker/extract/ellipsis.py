"""Figures whose noun the sentence left out, read from what it said before.

Pure, over the figures of one article in text order. "Of the troops leaving Germany, about
6,400 will be brought home and about 5,600 repositioned": both count troops, named once
in the "Of the ..." phrase. "Another 1,300 are to move to Darwin" and "Today there are more
than 10,000" count what the figure before them counted. "Four children were among the
dead" counts the dead.
"""

from __future__ import annotations

import re
from ..models import Figure, FigureCategory
from . import lexicon

# "Of the troops leaving Germany," "Of those soldiers," "Of the 1,000 officers Kenya has committed,"
OF_THE = re.compile(r"\b[Oo]f (?:the|those|these|its|their|our)\s+(?:[\d,.]+\s+)?(?P<phrase>[^,;]{1,60}?),")
# A bare number that continues a count: "another 1,300", "more than 10,000", "the remaining 600".
CONTINUING = re.compile(r"\b(?:another|more than|over|some|about|roughly|around|nearly|almost|the remaining|"
                        r"a further|of them|of those|the other)\s*$", re.I)
AMONG_THE_DEAD = re.compile(r"^[^.;]{0,40}?\b(?:among the dead|among those killed|among the victims|were killed|died)\b",
                            re.I)
MOVING = re.compile(r"\b(?:mov\w*|relocat\w*|redeploy\w*|reposition\w*|transfer\w*|withdr[ae]w\w*|leav\w*|"
                    r"return\w*|pull\w* out|brought home|go(?:ing)? home|sent|send\w*|slated)\b", re.I)
# Right after the part: " of the roughly 19,000 Marines".
PART_OF = re.compile(r"\s+of\s+(?:the|its|their)\s+(?:(?:roughly|about|some|around|nearly|almost|more than)\s+)?(?P<whole>\d[\d,.]*)\b")
# Before a piece: "Of the troops leaving Germany, ...", "Of those leaving, ...", "Of the 11,900 troops leaving, ..."
OF_MOVING = re.compile(r"\b[Oo]f (?:the|those|these)\b(?:[^,;]|,(?=\d)){0,60}?\b(?:leaving|withdrawn|moving|departing|going)\b"
                       r"(?:[^,;]|,(?=\d)){0,30},")  # "2,000" ends no phrase
# A number that is part of a name: "Boeing 737", "Tower 22", "Flight 7C2216".
NAMED = re.compile(r"(?<=[^\s.!?\"“]\s)[A-Z][\w-]*\s+$")  # a capital inside the sentence, not its first word
# "a population of about 154,000": the noun before "of" is what it counts.
OF_SOMETHING = re.compile(r"\b[a-z]+\s+of\s+(?:about |some |roughly |around |nearly |almost |more than |over )?$")
# Elliptical troop counts are in the hundreds at least; a small bare number is an age or a rank.
MIN_INHERITED = 100
COUNTED = {"troops", "people", "killed", "injured"}


def fill_ellipses(figures: list[Figure]) -> list[Figure]:
    """``figures`` (one article, text order) with the nouns their sentences left out."""
    out: list[Figure] = []
    for figure in figures:
        if figure.category in ("people", "other") and figure.role == "other":
            figure = _among_the_dead(figure)
        if figure.category == "other" and not figure.counts:
            figure = _of_the(figure) or _continued(figure, out) or figure
        out.append(figure)
    return _parts_of_a_whole(out)


def _parts_of_a_whole(figures: list[Figure]) -> list[Figure]:
    """"about 9,000 of the roughly 19,000 Marines ... are to be moved": the part moves (a change),
    the whole is what there was (the level before). "Of the troops leaving, about 6,400 go home":
    each piece of a movement is a change."""
    out = list(figures)
    for i, figure in enumerate(out):
        if figure.category != "troops" or not MOVING.search(figure.sentence):
            continue
        sides = figure.around()
        if sides is None:
            continue
        before, after = sides
        whole = PART_OF.match(after)
        if whole:
            out[i] = figure.model_copy(update={"role": "change"})
            for j, other in enumerate(out):
                if other.sentence == figure.sentence and other.text == whole["whole"] and other.role in ("level", "other"):
                    out[j] = other.model_copy(update={"role": "previous_level"})
        elif figure.role in ("level", "other") and OF_MOVING.search(before):
            out[i] = figure.model_copy(update={"role": "change"})
    return out


def _among_the_dead(figure: Figure) -> Figure:
    sides = figure.around()
    if sides is None or not AMONG_THE_DEAD.search(sides[1]):
        return figure
    return figure.model_copy(update={"category": "killed"})


def _of_the(figure: Figure) -> Figure | None:
    sides = figure.around()
    match = OF_THE.search(sides[0]) if sides is not None else None
    if match is None:
        return None
    phrase = match["phrase"].strip()
    # The counted noun is the shortest head the extractor knows: "troops" of "troops leaving Germany".
    words = phrase.split()
    for size in range(1, len(words) + 1):
        category = classify(" ".join(words[:size]))
        if category in COUNTED:
            return _counting(figure, category, " ".join(words[:size]))
    return None


def _continued(figure: Figure, before: list[Figure]) -> Figure | None:
    previous = next((f for f in reversed(before) if f.field == figure.field), None)
    if previous is None or previous.category not in COUNTED or not previous.counts:
        return None
    sides = figure.around()
    if sides is None:
        return None
    before, after = sides
    if NAMED.search(before) or after.startswith(("-", "–")) or OF_SOMETHING.search(before):
        return None  # "a Boeing 737-800", "Air Base 201", "a population of about 154,000"
    if figure.value < MIN_INHERITED and not CONTINUING.search(before):
        return None
    return _counting(figure, previous.category, previous.counts)


def _counting(figure: Figure, category: FigureCategory, counts: str) -> Figure:
    """``figure`` counting what its neighbour counts. A bare count of troops ("Burundi contributes
    about 3,000", "Another 900 are in Syria") is a level, as it would be with its noun written."""
    role = "level" if category == "troops" and figure.role == "other" else figure.role
    return figure.model_copy(update={"category": category, "counts": counts, "role": role})


def classify(phrase: str) -> FigureCategory:
    """The category a counted phrase names by its head noun, as the lexicon knows them."""
    words = phrase.lower().split()
    if not words:
        return "other"
    head = words[-1]
    lemmas = {head, head.rstrip("s"), head[:-3] + "y" if head.endswith("ies") else head, " ".join(words)}
    if lemmas & lexicon.TROOP_NOUNS or any(p in " ".join(words) for p in lexicon.TROOP_PHRASES):
        return "troops"
    if lemmas & lexicon.KILLED_WORDS:
        return "killed"
    if lemmas & lexicon.PEOPLE_NOUNS:
        return "people"
    return "other"
