"""Typed events from an article's figures: troop levels, changes of them, casualties.

Pure: figures (with their sentences) and the article's date in, EventMentions out. Each
event gets a deterministic key (type, actor, location, value bucket, month) so two
outlets' reports of the same fact meet.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import chain

from ..models import EventMention, Figure
from ..keys import bucket, slug
from .canonical import Canonicalizer, key
from .lexicon import APPROX, AT_LEAST, AT_MOST, MILITARY
from .movements import join_breakdown, split_movements
from .timex import TimeRef, resolve_time

_QUALIFIER_WORDS = {w for p in (*APPROX, *AT_LEAST, *AT_MOST) for w in p.split()}
QUALIFIER_PHRASES = sorted((*APPROX, *AT_LEAST, *AT_MOST, "between"), key=lambda p: -len(p))

DECREASE = re.compile(r"\b(cut|cuts|reduc\w*|lower\w*|withdr[ae]w\w*|pull\w*|leav\w*|draw\w* ?down|halv\w*|slash\w*|trim\w*|shrink\w*|decreas\w*|fell|fall\w*|drop\w*|remov\w*)\b", re.I)
INCREASE = re.compile(r"\b(increas\w*|rais\w*|boost\w*|add\w*|send\w*|sent|deploy\w*|doubl\w*|tripl\w*|expand\w*|surg\w*|rose|rise\w*|grow\w*|reinforc\w*|call\w* up|mobili[sz]\w*|more|another|additional|further|(?:tak|bring)\w*\s+the\s+total)\b", re.I)
HALVED = re.compile(r"\bhalv\w*\b", re.I)
PLEDGED = re.compile(r"\b(?:pledg\w*|promis\w*|committ?\w*|offer\w*|vow\w*)\b(?:\s+(?:to\s+send|to\s+provide))?[^.;]*$",
                     re.I)
# Right after the counted noun: they came. "400 Kenyan police officers landed", "100 Marines arrived".
ARRIVED = re.compile(r"\s*(?:[\w-]+\s+){0,4}?(?:have\s+|has\s+|had\s+)?(?:landed|arrived|touched down|flew in)\b", re.I)
DEPARTED = re.compile(r"\b(?:flew out|flown out|left|depart\w*|pull\w* out|withdr[ae]w\w*|exit\w*|went home)\b", re.I)
# Right before the figure: "the last of the roughly 200", "its last 400".
LAST_OF = re.compile(r"\b(?:the|its|their) last (?:of (?:the|its|their) )?(?:\w+ )?$", re.I)
# A departure that left nobody: "the last of them flew out", "all of them have left".
ALL_GONE = re.compile(r"\b(?:the last of (?:them|the \w+)|all of them (?:have |had )?(?:left|gone|flown)|"
                      r"complet\w* (?:the |its |their )?(?:withdrawal|pull-?out|departure))\b", re.I)
DOUBLED = re.compile(r"\bdoubl\w*\b", re.I)


FIELD_ORDER = {"body": 0, "standfirst": 1, "title": 2}
_ALL_OF = re.compile(r"\ball (?:of )?(?:its|their|the|our|his|her)\b", re.I)


# When an event of a sentence happened, given the figures it is read from.
Dating = Callable[[Sequence["_Item"]], TimeRef | None]


def _dating(sentence: str, published: datetime | None) -> Dating:
    """Times of a sentence's events: the year nearest the event's first figure wins ("there were
    12,000 in 2011, before the mission left in 2017")."""
    def date(items: Sequence[_Item]) -> TimeRef | None:
        at = sentence.find(items[0].figure.text) if items and items[0].figure.text else -1
        return resolve_time(sentence, published, at if at >= 0 else None)
    return date


@dataclass(frozen=True)
class Hint:
    """What the parse said about a figure beyond the Figure contract: whose, as written."""

    actor: str | None = None
    nationality: str | None = None
    also_places: tuple[str, ...] = ()


@dataclass
class _Item:
    figure: Figure
    actor: str | None  # canonical country, or None
    lead: str
    also: tuple[str, ...] = ()  # canonical places the same figure holds for ("each")


def build_events(figures: list[Figure], published: datetime | None, canon: Canonicalizer,
                 hints: Sequence[Hint | None] | None = None, body: str = "") -> list[EventMention]:
    """Events for every troop level, troop change and casualty count; one per key.

    A troop event whose sentence names no actor takes the actor the article's other troop
    events name most often ("cut troop levels in Iraq" in an article about US troops).
    """
    hints = list(hints) if hints is not None else [None] * len(figures)
    by_sentence: dict[str, list[tuple[Figure, Hint]]] = defaultdict(list)
    # Body first: when a headline repeats a fact, the body's fuller sentence tells it.
    order = sorted(range(len(figures)), key=lambda i: FIELD_ORDER[figures[i].field])
    for i in order:
        by_sentence[figures[i].sentence].append((figures[i], hints[i] or Hint()))
    # An article whose troop figures name their owner somewhere has a usual actor for the rest.
    has_usual_actor = any(f.category == "troops" and h is not None and _country(h.actor, canon)
                          for f, h in zip(figures, hints))
    found: list[EventMention] = []
    for sentence, group in by_sentence.items():
        found.extend(_sentence_events(sentence, group, _dating(sentence, published), canon, has_usual_actor))
    found = _shared_casualty_places(_drop_restated_headlines(_merge_split_changes(found), figures))
    actors = Counter(e.actor for e in found if e.actor and e.type != "casualties")
    attack_day = _attack_day(figures, published, body)
    events: dict[str, EventMention] = {}
    for event in found:
        if attack_day is not None and event.type == "casualties" and not _dated_in_text(event.sentence, published):
            # "Afghan officials said 170 were killed": the dead of the attack the article is about.
            event = event.model_copy(update={"date": attack_day.date, "date_precision": "day", "date_end": None})
        if event.actor is None and event.type != "casualties":
            actor = next((a for a, _ in actors.most_common() if a != event.location), None)
            event = event.model_copy(update={"actor": actor})
        event = event.model_copy(update={"key": event_key(event)})
        events.setdefault(event.key, event)
    return list(events.values())


def _attack_day(figures: list[Figure], published: datetime | None, body: str = "") -> TimeRef | None:
    """The day the article's first dead or wounded were counted on, when its text says it: in
    their sentence, or in the sentence before it in the paragraph ("On Oct. 14, 2017, a truck
    blew up outside the hotel. ... More than 300 people were wounded")."""
    for figure in sorted((f for f in figures if f.field == "body" and f.category in ("killed", "injured")),
                         key=lambda f: f.start):
        at = figure.sentence.find(figure.text)
        own = [(figure.sentence, at if at >= 0 else None)]
        for text, anchor in chain(own, ((before, None) for before in _sentences_before(body, figure))):
            time = resolve_time(text, published, anchor)
            if time is not None and time.stated:
                return time if time.precision == "day" else None
    return None


def _sentences_before(body: str, figure: Figure) -> list[str]:
    """The sentences before the figure's own in its paragraph, the nearest first."""
    at = figure.start - max(figure.sentence.find(figure.text), 0)
    if body[at : at + len(figure.sentence)] != figure.sentence:
        return []  # the figure's sentence was cut to a window: its start is not known here
    # At most the last 1,000 characters: a body with no paragraph breaks stays linear.
    paragraph = body[max(body.rfind("\n\n", max(0, at - 1000), at) + 1, at - 1000, 0) : at].strip()
    return [s for s in reversed(re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", paragraph)) if s]


def _dated_in_text(sentence: str, published: datetime | None) -> bool:
    time = resolve_time(sentence, published)
    return time is None or time.stated


def _sentence_events(sentence: str, group: list[tuple[Figure, Hint]], date: Dating,
                     canon: Canonicalizer, has_usual_actor: bool = False) -> list[EventMention]:
    leads = _leads(sentence, [f for f, _ in group])
    items = []
    for (figure, hint), lead in zip(group, leads):
        if figure.category == "troops":
            actor = (_organisation_in(figure.counts, canon) or _country(hint.actor, canon)
                     or (_organisation_in(hint.actor, canon) if hint.actor else None)
                     or _organisation_before(figure, canon)
                     # a nationality in what is counted ("US service members"); else the article's
                     # usual actor (filled in later): a country elsewhere in a sentence is as often
                     # where they are or go as whose they are
                     or _country_in(figure.counts, canon)
                     or (None if has_usual_actor else _country_before(figure, sentence, canon)))
        else:
            actor = _country(hint.nationality, canon) or _country_in(figure.counts, canon)
        items.append(_Item(figure, actor, lead, tuple(p for p in (_place(a, canon) for a in hint.also_places) if p)))
    items = _same_forces(items)
    out = _troop_events(sentence, [i for i in items if i.figure.category == "troops" and _a_headcount(i.figure)],
                        date, canon)
    for item in items:
        if item.figure.category in ("killed", "injured"):
            out.append(_event("casualties", [item], sentence, date, canon, value=item.figure.value, measure=item.figure.category))
    named = lambda text: _named_place(text, canon)  # noqa: E731
    out = split_movements(sentence, join_breakdown(sentence, out, named), named)
    return out + _for_each_place(out, items, canon)


def _a_headcount(figure: Figure) -> bool:
    """Troops are counted in whole people, more than one and fewer than any army has: "more than
    half of them German" (0.5), "1st Armored" and "in the single-digit billions" are no troop level."""
    return 2 <= figure.value <= MAX_HEADCOUNT and float(figure.value).is_integer()


# Larger than the biggest armed forces (about two million active): a count this big is not of troops.
MAX_HEADCOUNT = 5_000_000


def _same_forces(items: list[_Item]) -> list[_Item]:
    """"Three U.S. soldiers were killed and at least 34 other troops were injured": the dead and
    wounded soldiers of one sentence whose nationality it says once are of that one country."""
    casualties = [i for i in items if i.figure.category in ("killed", "injured") and MILITARY.search(i.figure.counts)]
    actors = {i.actor for i in casualties if i.actor}
    if len(actors) != 1:
        return items
    [actor] = actors
    return [replace(i, actor=actor) if i in casualties and i.actor is None else i for i in items]


def _named_place(text: str, canon: Canonicalizer) -> str | None:
    """A country, capital or gazetteer city ``text`` names, canonical; demonyms are not places."""
    found = canon.place(text)
    if found is not None:
        country = canon.country(found.canonical)
        return country.canonical if country is not None else found.canonical
    return text if key(text) in canon.cities else None


def _for_each_place(events: list[EventMention], items: list[_Item], canon: Canonicalizer) -> list[EventMention]:
    """The same event again for every place a figure is said to hold in too."""
    extra = []
    for event in events:
        for item in items:
            if item.also and _place(item.figure.location, canon) == event.location:
                extra += [event.model_copy(update={"location": place}) for place in item.also if place != event.location]
                break
    return extra


def _troop_events(sentence: str, troops: list[_Item], date: Dating, canon: Canonicalizer) -> list[EventMention]:
    """Levels stand alone; a change gathers its new level ("to"), old level ("from") and
    amount ("by", "another 350") from the same sentence when they are about the same place."""
    moving = bool(DECREASE.search(sentence) or INCREASE.search(sentence))
    plain: list[_Item] = []
    groups: list[dict[str, _Item]] = []
    current: dict[str, _Item] | None = None
    for item in troops:
        slot = _slot(item, moving)
        if slot == "level":
            if not _pledged(item.figure):  # "Kenya has pledged 1,000 officers": none are there yet
                plain.append(item)
            continue
        if current is not None and slot not in current and _compatible(current.values(), item):
            current[slot] = item
        elif slot == "from" and current is None and plain and _compatible([plain[-1]], item):
            current = {"to": plain.pop(), "from": item}  # "2,500 troops, down from 4,500"
            groups.append(current)
        else:
            current = {slot: item}
            groups.append(current)
    # "The last of the roughly 200 service members at the base flew out": they all left.
    gone = [i for i in plain if _last_of(i.figure) and DEPARTED.search(sentence)]
    changes = [_change_event(g, sentence, date, canon) for g in groups]
    # "keeps about 34,500 troops ..., meaning the force would be reduced by 9,500 to 25,000": the
    # level a change in the same sentence starts or ends at is part of that change, not a fact apart.
    def absorbed(item: _Item) -> bool:
        place = _place(item.figure.location, canon)
        return any(item.figure.value in (c.from_value, c.to_value) and not (place and c.location and place != c.location)
                   for c in changes)

    out = [_event("troop_level", [i], sentence, date, canon, value=i.figure.value) for i in plain
           if i not in gone and not absorbed(i)]
    out.extend(_event("troop_level_change", [i], sentence, date, canon, from_value=i.figure.value, to_value=0.0,
                      delta=-i.figure.value) for i in gone)
    return out + changes


def _pledged(figure: Figure) -> bool:
    sides = figure.around()
    return sides is not None and bool(PLEDGED.search(sides[0][-50:]))


def _last_of(figure: Figure) -> bool:
    sides = figure.around()
    return sides is not None and bool(LAST_OF.search(sides[0][-40:]))


def _slot(item: _Item, moving: bool) -> str:
    role = item.figure.role
    if role == "change":
        return "by"
    if role == "previous_level":
        return "from"
    if item.lead in ("to", "leaving") and (moving or HALVED.search(item.figure.sentence) or DOUBLED.search(item.figure.sentence)):
        return "to"
    sides = item.figure.around()
    if sides is not None and ARRIVED.match(sides[1]):
        return "by"  # "About 400 Kenyan police officers landed in Haiti": 400 more there
    return "level"


def _compatible(items, item: _Item) -> bool:
    for other in items:
        for a, b in ((other.figure.location, item.figure.location), (other.actor, item.actor)):
            if a and b and a != b:
                return False
    return True


def _change_event(group: dict[str, _Item], sentence: str, date: Dating, canon: Canonicalizer) -> EventMention:
    to = group["to"].figure.value if "to" in group else None
    frm = group["from"].figure.value if "from" in group else None
    change = group["by"].figure.value if "by" in group else None
    sign = -1 if DECREASE.search(sentence) and not INCREASE.search(sentence) else 1
    if change is not None and to is None and frm is None and sign < 0 and _whole_force(sentence, group["by"].figure):
        frm, to = change, 0.0  # "pull all of its 1,000 personnel out", "the 1,500 French soldiers ... would leave"
    if frm is None and to is not None and change is not None:
        frm = to - sign * change
    if frm is None and to is not None and HALVED.search(sentence):
        frm = to * 2
    if frm is None and to is not None and DOUBLED.search(sentence):
        frm = to / 2
    if to is None and frm is not None and change is not None:
        to = frm + sign * change
    if to is None and frm is not None and change is None and ALL_GONE.search(sentence):
        to = 0.0  # "About 150 soldiers had been stationed there; the last of them flew out"
    delta = to - frm if to is not None and frm is not None else (sign * change if change is not None else None)
    members = sorted(group.values(), key=lambda i: i.figure.start)
    return _event("troop_level_change", members, sentence, date, canon, value=change,
                  from_value=frm, to_value=to, delta=delta)


def _drop_restated_headlines(events: list[EventMention], figures: list[Figure]) -> list[EventMention]:
    """A headline's or standfirst's event that the body tells too (a number they share, about
    forces or about casualties alike) is the same fact told short: the body's fuller sentence
    stands for it, and takes from it what the body left open (where, whose)."""
    headline = {f.sentence for f in figures if f.field != "body"} - {f.sentence for f in figures if f.field == "body"}
    body = [e for e in events if e.sentence not in headline]
    filled: dict[int, EventMention] = {}
    kept: list[EventMention] = []
    for event in events:
        if event.sentence not in headline:
            continue
        same = [i for i, b in enumerate(body) if _family(b) == _family(event) and _numbers(event) & _numbers(b)]
        if not same:
            kept.append(event)
        for i in same:
            told = filled.get(i, body[i])
            gaps = {name: getattr(event, name) for name in ("location", "actor") if getattr(told, name) is None and getattr(event, name)}
            if gaps:
                filled[i] = told.model_copy(update=gaps)
    return [filled.get(i, b) for i, b in enumerate(body)] + kept


def _shared_casualty_places(events: list[EventMention]) -> list[EventMention]:
    """"killing seven people and injuring 11": the dead and the wounded of one sentence were
    hurt in one place; a count whose place the clause left open takes its sibling's."""
    places: dict[str, str] = {}
    for event in events:
        if event.type == "casualties" and event.location:
            places.setdefault(event.sentence, event.location)
    return [e.model_copy(update={"location": places[e.sentence]})
            if e.type == "casualties" and not e.location and e.sentence in places else e for e in events]


def _numbers(event: EventMention) -> set[float]:
    return {v for v in (event.value, event.from_value, event.to_value) if v is not None}


def _family(event: EventMention) -> str:
    return event.measure or "casualties" if event.type == "casualties" else "troops"


def _whole_force(sentence: str, figure: Figure) -> bool:
    """"all of its 1,000", "its last 400", "the roughly 1,500 French soldiers": the whole force."""
    if _ALL_OF.search(sentence):
        return True
    at = sentence.find(figure.text)
    before = sentence[:at].lower().split()[-3:] if at >= 0 else []
    words = [w for w in before if w not in _QUALIFIER_WORDS]
    return bool(words) and words[-1] in ("the", "its", "their", "last", "all", "remaining", "entire", "whole")


def _merge_split_changes(events: list[EventMention]) -> list[EventMention]:
    """"500 more troops will be stationed in Germany. ... raise the number to 35,500": one
    change told in two neighbouring sentences, amount in one and new level in the next."""
    out: list[EventMention] = []
    for event in events:
        last = out[-1] if out else None
        if last is not None and _halves(last, event):
            amount, level = (last, event) if last.value is not None else (event, last)
            sign = -1 if (amount.delta or 0) < 0 else 1
            merged = last.model_copy(update={
                "value": amount.value, "to_value": level.to_value, "from_value": level.to_value - sign * amount.value,
                "delta": sign * amount.value, "location": last.location or event.location, "actor": last.actor or event.actor,
            })
            out[-1] = merged
            continue
        earlier = next((i for i in range(len(out) - 1, -1, -1) if _amount_and_span(out[i], event)), None)
        if earlier is not None:
            # "withdraw nearly 12,000 troops ... from about 36,000 to 24,000": the amount and the
            # levels it moves between, however far apart the article tells them. The amount is
            # kept too: other outlets that give only the amount report the same change by it.
            amount, span = (out[earlier], event) if out[earlier].value is not None else (event, out[earlier])
            out[earlier] = amount
            out.append(span.model_copy(update={
                "value": amount.value, "location": span.location or amount.location, "actor": span.actor or amount.actor,
                "parts": amount.parts or span.parts, "date": amount.date or span.date,
                "date_precision": amount.date_precision if amount.date else span.date_precision,
            }))
            continue
        out.append(event)
    # "plans to reduce the number ... to 25,000", then "reduced by 9,500 to 25,000": the change that
    # only says where it ends is the fuller one the article tells too.
    return [e for e in out if not (_level_only(e) and any(
        o is not e and not _level_only(o) and o.to_value == e.to_value and _same_change(o, e) for o in out))]


def _amount_and_span(a: EventMention, b: EventMention) -> bool:
    """One change told as its amount and, elsewhere, the levels it runs between (they agree)."""
    if not _same_change(a, b):
        return False
    if _amount_only(a) and _span_only(b):
        amount, span = a, b
    elif _span_only(a) and _amount_only(b):
        amount, span = b, a
    else:
        return False
    moved = abs((span.from_value or 0) - (span.to_value or 0))
    return bool(amount.value) and abs(moved - amount.value) <= 0.1 * amount.value


def _halves(a: EventMention, b: EventMention) -> bool:
    return _same_change(a, b) and ((_amount_only(a) and _level_only(b)) or (_level_only(a) and _amount_only(b)))


def _same_change(a: EventMention, b: EventMention) -> bool:
    """Two troop changes that may be one: nothing they both say disagrees."""
    if a.type != "troop_level_change" or b.type != "troop_level_change":
        return False
    return not ((a.location and b.location and a.location != b.location) or (a.actor and b.actor and a.actor != b.actor))


def _amount_only(e: EventMention) -> bool:
    return e.value is not None and e.to_value is None and e.from_value is None


def _level_only(e: EventMention) -> bool:
    return e.value is None and e.to_value is not None and e.from_value is None


def _span_only(e: EventMention) -> bool:
    return e.value is None and e.to_value is not None and e.from_value is not None


def _leads(sentence: str, figures: list[Figure]) -> list[str]:
    """The word before each figure and its qualifier, found in the sentence text in order."""
    leads, cursor = [], 0
    for figure in figures:
        at = sentence.find(figure.text, cursor) if figure.text else -1
        if at < 0:
            leads.append("")
            continue
        cursor = at + len(figure.text)
        before = sentence[:at].lower().split()
        words = " ".join(before[-5:])
        for phrase in QUALIFIER_PHRASES:
            if words == phrase or words.endswith(" " + phrase):
                before = before[: len(before) - len(phrase.split())]
                break
        leads.append(before[-1].strip(",;:") if before else "")
    return leads


def _event(kind: str, items: list[_Item], sentence: str, date: Dating, canon: Canonicalizer, **values) -> EventMention:
    location = next((p for p in (_place(i.figure.location, canon) for i in items) if p), None)
    actor = next((i.actor for i in items if i.actor), None)
    time = date(items)
    when = {"date": time.date, "date_precision": time.precision, "date_end": time.end} if time else {}
    return EventMention(type=kind, key="", actor=actor, location=location, sentence=sentence, **when, **values)


def _place(location: str | None, canon: Canonicalizer) -> str | None:
    if not location:
        return None
    return canon.resolve(location, "GPE").canonical


WHERE_WORD = re.compile(r"\b(?:in|into|to|from|across|near|neighbou?ring|inside|throughout)\s+(?:the\s+)?$", re.I)


def _country_before(figure: Figure, sentence: str, canon: Canonicalizer) -> str | None:
    """Whose troops in an item too short to have a usual actor: the first country its sentence
    names before the figure that is not where it happens ("The US cut troop levels in Iraq to
    2,500"); after the figure come where they are or go ("repositioned, chiefly to Italy")."""
    at = sentence.find(figure.text) if figure.text else -1
    location = _place(figure.location, canon)
    for match in re.finditer(r"[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*", sentence[: max(at, 0)]):
        # "concentrating the troops in ... neighbouring Niger": where they go is not whose they are
        if WHERE_WORD.search(sentence[max(0, match.start() - 20) : match.start()]):
            continue
        for candidate in (match.group(0), *match.group(0).split()):
            country = canon.country(candidate)
            if country is not None and country.canonical != location:
                return country.canonical
    return None


def _country(text: str | None, canon: Canonicalizer) -> str | None:
    found = canon.actor_country(text) if text else None
    return found.canonical if found is not None else None


# Forces that are an organisation's: "NATO troops", "UN peacekeepers", "AU soldiers".
FORCE_OWNERS = {"NATO", "United Nations", "European Union", "African Union", "Wagner Group"}
# A force named as its own actor: "Task Force Takuba", the "Gang Suppression Force", the
# "Multinational Security Support mission". A country's own services ("Air Force") are the country's.
_NAMED_FORCE = re.compile(r"\b(Task Force [A-Z][\w-]+|(?:[A-Z][\w-]+ ){1,4}(?:Force|Mission|mission)\b)")
_LEADING_WORD = re.compile(r"^(?:(?:The|Its|Their|His|Her|This|That|A|An|Our|Whose)\s+)+")
_NATIONAL_SERVICE = re.compile(r"\b(?:Air Force|Royal|Navy|Army|Marine|Coast Guard|Defen[cs]e Force|National Guard)\b")
_PEACEKEEPERS = re.compile(r"\b(?:peacekeep\w*|blue helmets)\b", re.I)


def _organisation_in(counts: str, canon: Canonicalizer) -> str | None:
    """The organisation whose force is counted, named in the counted phrase."""
    for phrase in _phrases(counts):
        resolved = canon.aliases.get(key(phrase))
        if resolved is not None and resolved.canonical in FORCE_OWNERS:
            return resolved.canonical
    return "United Nations" if _PEACEKEEPERS.search(counts) and not _country_in(counts, canon) else None


def _organisation_before(figure: Figure, canon: Canonicalizer) -> str | None:
    """"The UN mission in Mali, whose roughly 12,000 troops remain": an organisation that owns
    forces, named shortly before the figure."""
    sides = figure.around()
    if sides is None:
        return None
    window = sides[0][-80:]
    if _PEACEKEEPERS.search(window) or re.search(r"\b(?:UN|U\.N\.|United Nations) (?:\w+ ){0,2}mission\b", window):
        named = "United Nations"
    else:
        # "NATO's battlegroup ... has about 1,600": the possessive is no part of the name.
        phrases = [re.sub(r"['’]s$", "", p) for p in re.findall(r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*", window)]
        named = next((r.canonical for phrase in phrases
                      if (r := canon.aliases.get(key(phrase))) is not None and r.canonical in FORCE_OWNERS), None)
        # "Task Force Takuba, a European special forces unit of about 800 troops": a force of its own
        forces = [_LEADING_WORD.sub("", f).strip() for f in _NAMED_FORCE.findall(window)]
        forces = [f for f in forces if f.split()[0] not in ("Force", "Mission", "mission")
                  and not _NATIONAL_SERVICE.search(f) and not _country_in(f, canon)]
        named = named or (forces[-1] if forces else None)
    # "NATO allies said 2,500 US troops": forces with their own country are that country's.
    return None if named is None or _country_in(figure.counts, canon) else named


def _country_in(counts: str, canon: Canonicalizer) -> str | None:
    """A country or nationality inside what is counted: "US service members", "Iraqi soldiers"."""
    for phrase in _phrases(counts):
        country = canon.country(phrase)
        if country is not None:
            return country.canonical
    return None


def _phrases(counts: str) -> Iterator[str]:
    """Runs of three, two, then one word of the counted phrase, longest first."""
    words = counts.split()
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            yield " ".join(words[i : i + size])


def event_key(event: EventMention) -> str:
    """type:actor:location:value-bucket:YYYY-MM (casualties also by measure)."""
    value = event.to_value if event.type == "troop_level_change" and event.to_value is not None else event.value
    kind = f"{event.type}-{event.measure}" if event.measure else event.type
    month = _key_date(event)
    return ":".join([kind, slug(event.actor), slug(event.location), bucket(value), month])


def _key_date(event: EventMention) -> str:
    """The month of a day or month; a year alone; a period by its start and end month."""
    if event.date is None:
        return "-"
    if event.date_precision == "year":
        return f"{event.date:%Y}"
    if event.date_precision == "period" and event.date_end is not None:
        return f"{event.date:%Y-%m}/{event.date_end:%Y-%m}"
    return f"{event.date:%Y-%m}"
