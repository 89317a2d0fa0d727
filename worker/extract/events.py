"""Typed events from an article's figures: troop levels, changes of them, casualties.

Pure: figures (with their sentences) and the article's date in, EventMentions out. Each
event gets a deterministic key (type, actor, location, value bucket, month) so two
outlets' reports of the same fact meet.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from datetime import datetime

from ..models import EventMention, Figure
from ..normalize.dates import latest_date_in_text
from .canonical import Canonicalizer

DECREASE = re.compile(r"\b(cut|cuts|reduc\w*|lower\w*|withdr[ae]w\w*|pull\w* (?:out|back)|draw\w*down|drawdown|halv\w*|slash\w*|trim\w*|shrink\w*|decreas\w*|fell|fall\w*|drop\w*|remov\w*)\b", re.I)
INCREASE = re.compile(r"\b(increas\w*|rais\w*|boost\w*|add\w*|send\w*|sent|deploy\w*|doubl\w*|tripl\w*|expand\w*|surg\w*|rose|rise\w*|grow\w*|reinforc\w*)\b", re.I)
HALVED = re.compile(r"\bhalv\w*\b", re.I)
DOUBLED = re.compile(r"\bdoubl\w*\b", re.I)


FIELD_ORDER = {"body": 0, "standfirst": 1, "title": 2}


def build_events(figures: list[Figure], published: datetime | None, canon: Canonicalizer) -> list[EventMention]:
    """Events for every troop level, troop change and casualty count; one per key.

    An event whose sentence names no actor takes the actor the article's other events
    name most often ("cut troop levels in Iraq" in an article about US troops).
    """
    by_sentence: dict[str, list[Figure]] = defaultdict(list)
    # Body first: when a headline repeats a fact, the body's fuller sentence tells it.
    for figure in sorted(figures, key=lambda f: FIELD_ORDER[f.field]):
        by_sentence[figure.sentence].append(figure)
    found = [e for s, group in by_sentence.items() for e in _sentence_events(s, group, sentence_date(s, published), canon)]
    actors = Counter(e.actor for e in found if e.actor)
    events: dict[str, EventMention] = {}
    for event in found:
        if event.actor is None:
            actor = next((a for a, _ in actors.most_common() if a != event.location), None)
            event = event.model_copy(update={"actor": actor})
            event = event.model_copy(update={"key": event_key(event)})
        events.setdefault(event.key, event)
    return list(events.values())


_SINCE = re.compile(r"\bsince\b", re.I)
_IN_YEAR = re.compile(r"\b(?<!since )(?:in|during|by the end of)\s+((?:19|20)\d\d)\b", re.I)


def sentence_date(sentence: str, published: datetime | None) -> datetime | None:
    """A full date the sentence names, else a past year it is set in ("in 2011"), else the article's date."""
    if published is None:
        return None
    named = latest_date_in_text(sentence, published)
    if named:
        return named
    if _SINCE.search(sentence):  # "since the invasion in 2003" is a period up to now, not a date
        return published
    years = [int(y) for y in _IN_YEAR.findall(sentence) if int(y) < published.year]
    if years:
        return published.replace(year=max(years), month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return published


def _sentence_events(sentence: str, figures: list[Figure], date: datetime | None, canon: Canonicalizer) -> list[EventMention]:
    out: list[EventMention] = []
    troops = [f for f in figures if f.category == "troops"]
    levels = [f for f in troops if f.role == "level"]
    previous = [f for f in troops if f.role == "previous_level"]
    changes = [f for f in troops if f.role == "change"]
    for figure in levels:
        out.append(_event("troop_level", figure, sentence, date, canon, value=figure.value))
    if levels and (previous or changes or HALVED.search(sentence) or DOUBLED.search(sentence)):
        to = levels[0]
        frm = previous[0].value if previous else None
        change = changes[0].value if changes else None
        sign = -1 if DECREASE.search(sentence) and not INCREASE.search(sentence) else 1
        if frm is None and change is not None:
            frm = to.value - sign * change
        if frm is None and HALVED.search(sentence):
            frm = to.value * 2
        if frm is None and DOUBLED.search(sentence):
            frm = to.value / 2
        delta = to.value - frm if frm is not None else (sign * change if change is not None else None)
        out.append(_event("troop_level_change", to, sentence, date, canon, value=abs(delta) if delta is not None else None,
                          from_value=frm, to_value=to.value, delta=delta))
    elif changes:
        figure = changes[0]
        sign = -1 if DECREASE.search(sentence) and not INCREASE.search(sentence) else 1
        out.append(_event("troop_level_change", figure, sentence, date, canon, value=figure.value, delta=sign * figure.value))
    for figure in figures:
        if figure.category in ("killed", "injured"):
            out.append(_event("casualties", figure, sentence, date, canon, value=figure.value, measure=figure.category))
    return out


def _event(kind: str, figure: Figure, sentence: str, date: datetime | None, canon: Canonicalizer, **values) -> EventMention:
    location = _place(figure.location, canon)
    actor = _actor(figure.counts, sentence, location, canon)
    mention = EventMention(type=kind, key="", actor=actor, location=location, date=date, sentence=sentence, **values)
    return mention.model_copy(update={"key": event_key(mention)})


def _place(location: str | None, canon: Canonicalizer) -> str | None:
    if not location:
        return None
    return canon.resolve(location, "GPE").canonical


def _actor(counts: str, sentence: str, location: str | None, canon: Canonicalizer) -> str | None:
    """Whose troops or people: a country in what is counted ("US service members"), else
    the first country the sentence names that is not where it happens."""
    words = counts.split()
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            country = canon.country(" ".join(words[i : i + size]))
            if country is not None:
                return country.canonical
    for token in re.findall(r"[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*", sentence):
        for candidate in (token, *token.split()):
            country = canon.country(candidate)
            if country is not None and country.canonical != location:
                return country.canonical
    return None


def bucket(value: float | None) -> str:
    """Two significant figures: 2,480 and 2,500 land together; 2,500 and 3,000 do not."""
    if value is None:
        return "-"
    if value == 0:
        return "0"
    digits = 2 - int(math.floor(math.log10(abs(value)))) - 1
    return f"{round(value, digits):.0f}" if digits <= 0 else f"{round(value, digits):g}"


def _slug(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") if text else "-"


def event_key(event: EventMention) -> str:
    """type:actor:location:value-bucket:YYYY-MM (casualties also by measure)."""
    value = event.to_value if event.type == "troop_level_change" and event.to_value is not None else event.value
    kind = f"{event.type}-{event.measure}" if event.measure else event.type
    month = event.date.strftime("%Y-%m") if event.date else "-"
    return ":".join([kind, _slug(event.actor), _slug(event.location), bucket(value), month])
