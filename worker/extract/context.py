"""The article as a whole: where its story is set, and where each sentence left off.

A figure's own clause says where it is most of the time. Full-length articles also say it
once and then refer back: the dateline, headline and lead set a scene ("KABUL — ..."),
and later sentences ("The blast also wounded 18 service members", "the troops at the
airport", "in the country") do not repeat it. This module keeps, per article, its places
in text order with their kind (country, city, facility) and the scene, and fills what a
figure's clause left open, saying where the place came from.

Which kind a figure wants follows what it counts: the dead and wounded are where the
attack was (the base, the airport, else the city); forces, money and shares belong to a
country unless the sentence points at a facility or a city ("the airport", "the capital").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from spacy.tokens import Doc, Span

from ..models import Figure, LocationSource, TextField
from .places import AREA_NOUNS, PLACE_PREPOSITIONS, names_no_setting

Kind = Literal["country", "city", "facility", "region"]
PLACE_LABELS = {"GPE", "LOC", "FAC"}
# A place in these roles is who acts or whose something is, not where anything happens: "the
# Pentagon said", "Washington wants", "US troops", "Iraq's army".
NOT_A_SETTING = {"compound", "amod", "poss", "nmod", "npadvmod"}  # npadvmod: "a Britain-based group"
SPEAKING = {"say", "tell", "announce", "add", "claim", "report", "state", "confirm", "deny", "warn", "want", "plan",
            "vow", "insist", "accuse", "urge", "agree", "decide", "pledge", "promise", "order", "ask", "demand",
            "call", "expect", "hope", "believe", "estimate", "argue", "note", "respond", "reply"}
# ... unless it names the setting of a place noun: "Kabul airport", "the Erbil base".
PLACE_NOUNS = {"airport", "base", "airbase", "border", "port", "city", "province", "region", "embassy", "camp",
               "capital", "town", "village", "coast", "district", "outpost", "garrison", "compound", "valley"}
# "Jordan's north-eastern corner", "Iraq's north": a part of the place is in it.
PART_NOUNS = {"corner", "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "part",
              "edge", "outskirts", "heart", "centre", "center", "interior", "territory", "soil"}
PLACE_OR_PART_NOUNS = PLACE_NOUNS | PART_NOUNS
# Words that make a named place a facility: "Camp Blaz", "Tower 22", "Muwaffaq Salti air base".
FACILITY_WORDS = {"airport", "base", "airbase", "camp", "fort", "tower", "embassy", "compound", "outpost", "garrison",
                  "barracks", "station", "port", "gate", "prison", "hospital", "field", "airfield", "crossing", "dam",
                  # where attacks happen: "Crocus City Hall", "the Radisson Hotel", "Sheikh Zayed Mosque"
                  "hall", "theatre", "theater", "school", "hotel", "market", "mosque", "church", "stadium", "mall",
                  "arena", "cathedral", "synagogue", "temple", "university"}
MODEL_NUMBER = re.compile(r"\b[A-Z]?\d{3}(?:-\d{1,3}|[A-Z]{0,3})?\b")
# Words that make an "organisation" the tagger found a named base or airport.
NAMED_SITES = {"airport", "base", "airbase", "camp", "barracks", "airfield", "fort", "hall", "theatre", "theater",
               "hotel", "stadium", "arena", "mall"}
DATELINE_DASHES = ("—", "–", "-", "(", ",")
# A body this short is one self-contained item (a brief, a feed summary): its clauses say all
# there is, and its first place is no scene that later paragraphs lean on.
MIN_SENTENCES = 5
# The kinds a figure's place is looked for in, by what it counts, most wanted first.
WANTED: dict[str, tuple[Kind, ...]] = {
    "killed": ("facility", "city", "country", "region"),
    "injured": ("facility", "city", "country", "region"),
    "people": ("facility", "city", "country", "region"),
    "troops": ("country", "city", "facility", "region"),
    "money": ("country", "city"),
    "percent": ("country", "city"),
    "other": ("country", "city", "facility", "region"),
}
# Between a figure and a place after it that is the figure's own: a few words and a preposition
# ("some 2,700 for Hawaii", "500 troops in Tapa"), not another clause ("people that borders ...").
FOLLOWING = re.compile(r"\s*(?:[\w%-]+\s+){0,3}?(?:for|to|in|at|into|on|near)\s+(?:the\s+)?$", re.I)
# What a country has rather than where something happens: its money, its shares.
OWNED = {"money", "percent"}
ACTING = {"nsubj", "nsubjpass", "poss"}
# "the airport", "the capital", "the country": a definite noun that points back at the last
# place of its kind; "there" at the last place of any kind.
POINTERS: list[tuple[re.Pattern[str], tuple[Kind, ...]]] = [
    (re.compile(r"\b(?:the|that|this) (?:air ?base|airport|base|facility|camp|compound|outpost|garrison|tower|post|embassy|airfield|gate)\b", re.I), ("facility",)),
    (re.compile(r"\b(?:the|that|this) (?:capital|city|town|village)\b", re.I), ("city",)),
    (re.compile(r"\b(?:the|that|this) (?:country|kingdom|nation|republic)\b", re.I), ("country",)),
    (re.compile(r"\b(?:the|that|this) (?:region|province|state|prefecture|island)\b", re.I), ("city", "country", "region")),
    (re.compile(r"\bthere\b", re.I), ("facility", "city", "country", "region")),
]


@dataclass(frozen=True)
class PlaceMention:
    name: str  # canonical
    start: int  # character offset in its field
    kind: Kind
    role: str = ""  # the dependency of the name's head: "nsubj" for "Seoul will pay"


@dataclass
class FieldText:
    """One field's sentences (start offsets), paragraph starts and places, in order."""

    sentence_starts: list[int] = field(default_factory=list)
    paragraph_starts: list[int] = field(default_factory=lambda: [0])
    places: list[PlaceMention] = field(default_factory=list)
    # Every place named, in any role: "Poland plans to spend 4%", "Germany's budget" say whose
    # money or share it is, though neither is where anything happens.
    mentions: list[PlaceMention] = field(default_factory=list)

    def sentence_index(self, offset: int) -> int:
        return max(bisect.bisect_right(self.sentence_starts, offset) - 1, 0)

    def paragraph_index(self, offset: int) -> int:
        return max(bisect.bisect_right(self.paragraph_starts, offset) - 1, 0)

    def sentence_span(self, index: int, end: int) -> tuple[int, int]:
        stop = self.sentence_starts[index + 1] if index + 1 < len(self.sentence_starts) else end
        return self.sentence_starts[index], stop


@dataclass
class ArticleContext:
    fields: dict[str, FieldText]
    scene: list[PlaceMention]  # the lead's places, then the standfirst's and headline's, then the dateline
    body_length: int = 0
    # The country a gazetteer city is in, by canonical names ("Port-au-Prince": "Haiti").
    country_of: Callable[[str], str | None] = lambda name: None

    @property
    def is_whole_article(self) -> bool:
        body = self.fields.get("body")
        return body is not None and len(body.sentence_starts) >= MIN_SENTENCES

    def sentence_places(self, figure: Figure, any_role: bool = False, tied: bool = True) -> list[PlaceMention]:
        """Places of the figure's own sentence outside its span, nearest first: those before it,
        and those a preposition ties to it after it ("some 2,700 for Hawaii", not "2.5%, while
        Estonia ...")."""
        text = self.fields.get(figure.field)
        if text is None or not text.sentence_starts:
            return []
        start, end = text.sentence_span(text.sentence_index(figure.start), self.body_length)
        pool = text.mentions if any_role else text.places
        before = [(figure.start - p.start, p) for p in pool if start <= p.start < figure.start]
        after = [(p.start - figure.end, p) for p in pool if figure.end <= p.start < end
                 and (not tied or FOLLOWING.match(figure.sentence[figure.end - start : p.start - start]))]
        # Before wins a tie: "Latvia aims for 2.25%" reads back.
        return [p for _, _, p in sorted([(d, 0, p) for d, p in before] + [(d + 1, 1, p) for d, p in after],
                                        key=lambda t: (t[0], t[1]))]

    def previous_sentence_places(self, figure: Figure, any_role: bool = False) -> list[PlaceMention]:
        """Places of the sentence before the figure's, in the same paragraph, the last first."""
        text = self.fields.get(figure.field)
        if text is None:
            return []
        index = text.sentence_index(figure.start)
        if index == 0:
            return []
        start, end = text.sentence_span(index - 1, self.body_length)
        if text.paragraph_index(start) != text.paragraph_index(figure.start):
            return []
        return [p for p in reversed(text.mentions if any_role else text.places) if start <= p.start < end]

    def last_places(self, figure: Figure) -> list[PlaceMention]:
        """The places of the last sentence before the figure's that names any, in text order."""
        before = self.places_before(figure)
        if not before:
            return []
        text = self.fields[figure.field]
        index = text.sentence_index(before[0].start)
        found = [p for p in reversed(before) if text.sentence_index(p.start) == index]
        # "there" after "Germany will send 1,000 troops to Lithuania" is Lithuania, not Germany:
        # who acts comes after where it happens (their own country is ruled out by the caller:
        # "... from Estonia, with 500 returning to Britain" is Estonia for British troops).
        return sorted(found, key=lambda p: p.role == "nsubj")

    def countries_before(self, figure: Figure) -> list[PlaceMention]:
        """The country of every place before the figure's sentence, the most recent first: "the
        country" after "Gangs control 80% of Port-au-Prince" is Haiti. A city stands for its
        country only when the article names that country (small towns share names worldwide)."""
        named = {m.name for text in self.fields.values() for m in text.mentions if m.kind == "country"}
        found = []
        for place in self.places_before(figure):
            if place.kind == "country":
                found.append(place)
            elif place.kind == "city" and (country := self.country_of(place.name)) in named:
                found.append(PlaceMention(country, place.start, "country", place.role))
        return found

    def places_before(self, figure: Figure) -> list[PlaceMention]:
        """Every place of the figure's field before its sentence, the most recent first."""
        text = self.fields.get(figure.field)
        if text is None:
            return []
        start = text.sentence_starts[text.sentence_index(figure.start)] if text.sentence_starts else 0
        return [p for p in reversed(text.places) if p.start < start]


def build_context(
    parts: Iterable[tuple[TextField, int, Doc]], body: str, resolve: Callable[[str], str | None],
    is_country: Callable[[str], bool], is_city: Callable[[str], bool] = lambda name: False,
    country_of: Callable[[str], str | None] = lambda name: None,
) -> ArticleContext:
    """The context of one article from its parsed pieces (field, offset of the piece, doc).

    ``resolve`` gives a place's canonical name, or None for what is not a place after all;
    ``is_country`` tells a country's canonical name from a city's or a region's; ``is_city``
    knows the gazetteer's cities ("Port-au-Prince" is no port) and ``country_of`` their countries.
    """
    fields: dict[str, FieldText] = {}
    datelines: list[PlaceMention] = []
    doubts: list[tuple[FieldText, PlaceMention, bool]] = []
    people: set[str] = set()  # the words of full personal names: "Recep Tayyip Erdogan"
    for name, base, doc in parts:
        people.update(w for e in doc.ents if e.label_ == "PERSON" and len(e.text.split()) > 1 for w in e.text.split())
        text = fields.setdefault(name, FieldText())
        text.sentence_starts.extend(base + s.start_char for s in doc.sents)
        # Computed once a piece: doc.text is rebuilt on every access.
        dateline_end = _dateline_end(doc.text) if base == 0 else None
        for ent in doc.ents:
            in_dateline = dateline_end is not None and ent.end_char <= dateline_end
            if not _is_place(ent) or names_no_setting(ent):
                continue
            if not (canonical := resolve(ent.text)):
                continue
            # A one-word name no gazetteer knows, that starts a sentence ("Gunmen opened fire") or
            # that no place word stands by ("Erdogan condemned"), is a place only if the article
            # names it elsewhere too ("Guam ...", then "on Guam")
            doubtful = (len(ent) == 1 and not in_dateline and not (is_country(canonical) or is_city(canonical))
                        and (ent.start == ent.sent.start or not _after_place_word(ent)))
            named, kind = _with_place_noun(ent, canonical, is_country, is_city)
            mention = PlaceMention(named, base + ent.start_char, kind, _role(ent))
            if doubtful:
                doubts.append((text, mention, _is_setting(ent) or mention.role == "from"))
                continue
            text.mentions.append(mention)
            if not (in_dateline or _is_setting(ent) or mention.role == "from"):
                continue
            text.places.append(mention)
            if name == "body" and in_dateline:
                datelines.append(mention)
    named = {m.name for text in fields.values() for m in text.mentions}
    for text, mention, setting in doubts:
        # ... and is no word of a person's name ("President Recep Tayyip Erdogan", then "Erdogan").
        if mention.name in named and mention.name not in people:
            text.mentions.append(mention)
            if setting:
                text.places.append(mention)
    for text in fields.values():
        text.sentence_starts.sort()
        text.places.sort(key=lambda p: p.start)
        text.mentions.sort(key=lambda p: p.start)
    body_text = fields.get("body")
    if body_text is not None:
        body_text.paragraph_starts = _paragraph_starts(body)
    return ArticleContext(fields, _scene(fields, body, datelines, is_city), len(body), country_of)


PLACE_WORDS_BEFORE = PLACE_PREPOSITIONS | {"at", "to", "on"}
PLACE_WORDS_AFTER = PLACE_OR_PART_NOUNS | FACILITY_WORDS


def _after_place_word(ent: Span) -> bool:
    """"in Tapa", "at Gao", "Tapa camp": a word before or after says it is a place."""
    doc = ent.doc
    before = doc[ent.start - 1].lower_ if ent.start > 0 else ""
    after = doc[ent.end].lemma_.lower() if ent.end < len(doc) else ""
    return before in PLACE_WORDS_BEFORE or after in PLACE_WORDS_AFTER


def _with_place_noun(ent: Span, canonical: str, is_country: Callable[[str], bool],
                     is_city: Callable[[str], bool]) -> tuple[str, Kind]:
    """"Ain al-Asad" of "Ain al-Asad air base" is the base: the name runs to its place noun."""
    root = ent.root
    head = root.head
    if root.dep_ == "compound" and head.i > root.i and head.lemma_.lower() in FACILITY_WORDS and head.i - ent.end < 3:
        return f"{canonical} {ent.doc[ent.end : head.i + 1].text}", "facility"
    return canonical, _kind(ent, canonical, is_country, is_city)


def _kind(ent: Span, canonical: str, is_country: Callable[[str], bool], is_city: Callable[[str], bool]) -> Kind:
    if is_country(canonical):
        return "country"
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", ent.text)}
    # A gazetteer city the tagger calls a facility is the city ("Kaliningrad"), unless its name
    # says it is a site ("Sheremetyevo Airport").
    if is_city(canonical) and (ent.label_ != "FAC" or not words & FACILITY_WORDS):
        return "city"
    if ent[-1].lower_ in AREA_NOUNS:
        return "region"  # "Donetsk Oblast", "Kursk region": wider than the city in it
    if ent.label_ == "LOC" and not re.search(r"\d", ent.text) and not {w.lower() for w in ent.text.split()} & FACILITY_WORDS:
        return "region"  # "Europe", "the Middle East", "the Sahel": less specific than any country in it
    if ent.label_ == "FAC" or words & FACILITY_WORDS or re.search(r"\d", ent.text):
        return "facility"
    return "city"


def _dateline_end(text: str) -> int | None:
    """Where a wire dateline ends: "KABUL —", "PORT-AU-PRINCE, Haiti (AP) —" (None: no dateline)."""
    head = text[:120]
    dash = re.search(r"\s[—–-]{1,2}\s|\)\s*[—–-]", head)
    if not dash or re.search(r"[.!?]", head[: dash.start()]):
        return None
    return dash.start() + 1


def _is_place(ent: Span) -> bool:
    words = {w.lower() for w in ent.text.split()}
    if MODEL_NUMBER.search(ent.text) and not words & FACILITY_WORDS:
        return False  # "Boeing 737-800", "Airbus A320" are aircraft, not places
    if ent.label_ in PLACE_LABELS:
        return True
    # The tagger often calls a named base an organisation: "Prince Hassan Air Base".
    return ent.label_ == "ORG" and bool(words & NAMED_SITES)


def _role(ent: Span) -> str:
    """"from" for an origin ("a flight from Bangkok", "troops leaving ... from Germany"), "to"
    for a destination, else the dependency of the name's head."""
    root = ent.root
    if root.dep_ == "pobj" and root.head.lower_ in ("from", "to", "into"):
        return "from" if root.head.lower_ == "from" else "to"
    return root.dep_


def _is_setting(ent: Span) -> bool:
    root = ent.root
    if root.dep_ == "det" and root.lower_ not in ("the", "a", "an"):
        return False  # "the U.S. military": whose, not where
    if root.dep_ == "nsubj":
        # "Okinawa hosts ...", "Somalia is enduring a drought": where; "the Pentagon said": who speaks.
        return root.head.lemma_.lower() not in SPEAKING
    if root.dep_ not in NOT_A_SETTING:
        return True
    # "Kabul airport", "Haiti's capital", "Jordan's north-eastern corner": the place of a place noun.
    return root.dep_ in ("compound", "poss") and root.head.lemma_.lower() in PLACE_OR_PART_NOUNS


def _paragraph_starts(text: str) -> list[int]:
    starts, at = [0], text.find("\n\n")
    while at >= 0:
        starts.append(at + 2)
        at = text.find("\n\n", at + 2)
    return starts


def _scene(fields: dict[str, FieldText], body: str, datelines: list[PlaceMention],
           is_city: Callable[[str], bool] = lambda name: False) -> list[PlaceMention]:
    """The lead's own places first, then the standfirst's and headline's, the dateline last: a
    dateline is where the reporter files from ("WASHINGTON —" for a story about Jordan) as
    often as where the story is; headlines are short, title-cased and tagged worst."""
    scene: list[PlaceMention] = []
    body_text = fields.get("body")
    if body_text is not None:
        # The lead: the first paragraph (a wire dateline and its first sentence), or the first
        # two sentences when the text has no paragraph breaks.
        ends = [*body_text.paragraph_starts[1:2]]
        if len(body_text.sentence_starts) > 2:
            ends.append(body_text.sentence_starts[2])
        lead_end = min(ends) if ends else len(body)
        scene.extend(p for p in body_text.places if p.start < lead_end and p not in datelines)
    # A headline's title case misleads the tagger ("Gunmen kill dozens", "Boeing"): of its places
    # only those the body names too, countries and gazetteer cities set the scene.
    named = {p.name for p in body_text.mentions} if body_text is not None else set()
    for name in ("standfirst", "title"):
        scene.extend(p for p in fields.get(name, FieldText()).places
                     if p.kind == "country" or p.name in named or is_city(p.name))
    # Where someone came from ("a flight from Bangkok") is not where the story is.
    return [p for p in [*scene, *datelines] if p.role != "from"]


def fill_location(figure: Figure, context: ArticleContext, not_here: Callable[[str], bool],
                  capital_of: Callable[[str], str | None] = lambda name: None) -> Figure:
    """``figure`` with a place from the context when its clause named none.

    ``not_here(place)``: the place cannot be where this figure is (the troops' own country,
    whose capital only says who speaks). A pointer in the sentence ("the airport", "there")
    takes the last place of its kind; otherwise the sentence before, in the same paragraph,
    then the scene, each searched for the kinds the figure wants in turn.
    """
    if figure.location:
        figure = figure if figure.location_from else figure.model_copy(update={"location_from": "clause"})
        return _most_specific(figure, context) if context.is_whole_article else figure
    if figure.field != "body":
        return figure
    # People counted "from Bangkok" are not there; troops leaving a place are counted there.
    usable = (lambda places: places) if figure.category == "troops" else \
        (lambda places: [p for p in places if p.role != "from"])
    # A pointer is the clause naming its place by reference: read it in short items too.
    pointer = _pointer(figure)
    if pointer:
        kinds, noun = pointer
        # "there" after "the base in Timbuktu, in northern Mali" is Timbuktu: of the last sentence
        # naming places, the most specific (the first of a kind); else the most recent of its kinds,
        # one its noun names first ("the airport": an airport).
        earlier = context.countries_before(figure) if kinds == ("country",) else context.places_before(figure)
        place = (_first(usable(context.last_places(figure)), kinds, not_here) if len(kinds) > 1 else None) \
            or _first(_named_like(usable(earlier), noun), kinds, not_here, by_kind=False)
        if place:
            return _located(figure, place, "previous_sentence")
    if not context.is_whole_article:
        return figure
    wanted = WANTED.get(figure.category, WANTED["other"])
    # Whose money or share it is counts as where: "Poland plans to spend about 4% of its GDP".
    owned = figure.category in OWNED
    in_sentence = context.sentence_places(figure, any_role=owned)
    before = context.previous_sentence_places(figure, any_role=owned)
    if figure.category == "troops":
        # "Kenya has pledged 1,000 officers, and Bangladesh and Chad have also promised", "the
        # third base that France has given up": who sends or acts is not where the troops are.
        in_sentence = [p for p in in_sentence if p.role not in ("nsubj", "conj")]
        before = [p for p in before if p.role not in ("nsubj", "conj")]
    sources: list[tuple[LocationSource, list[PlaceMention], bool]] = [
        ("sentence", in_sentence, False),
        ("previous_sentence", before, True),
        ("scene", context.scene, True)]
    for source, places, by_kind in sources:
        place = _pick(usable(places), wanted, not_here, by_kind)
        if place:
            # "Seoul will pay 1.5 trillion won": a capital that acts is its country's government.
            country = capital_of(place.name) if owned and place.role in ACTING and place.kind == "city" else None
            return _located(figure, country or place.name, source)
    return figure


def _most_specific(figure: Figure, context: ArticleContext) -> Figure:
    """The dead and wounded are where it happened: "killed at King Faisal Air Base in southern
    Jordan" is at the base, whichever of the two the clause read."""
    if figure.category not in ("killed", "injured", "people"):
        return figure
    here = context.sentence_places(figure, tied=False)
    if any(p.name == figure.location and p.kind == "facility" for p in here):
        return figure
    facility = next((p for p in here if p.kind == "facility"), None)
    return _located(figure, facility.name, "sentence") if facility else figure


def _pointer(figure: Figure) -> tuple[tuple[Kind, ...], str] | None:
    """The kinds of place the pointer nearest the figure in its sentence refers to, and its noun."""
    at = figure.sentence.find(figure.text) if figure.text else -1
    found = [(abs(m.start() - at) if at >= 0 else 0, kinds, m.group(0).split()[-1].lower())
             for pattern, kinds in POINTERS for m in pattern.finditer(figure.sentence)]
    if not found:
        return None
    _, kinds, noun = min(found, key=lambda f: f[0])
    return kinds, noun


def _named_like(places: list[PlaceMention], noun: str) -> list[PlaceMention]:
    """"the airport" after "Abbey Gate ... Hamid Karzai International Airport": the one it names."""
    return [p for p in places if noun in p.name.lower().split()] or places


def _first(places: list[PlaceMention], kinds: tuple[Kind, ...], not_here: Callable[[str], bool],
           by_kind: bool = True) -> str | None:
    place = _pick(places, kinds, not_here, by_kind)
    return place.name if place else None


def _pick(places: list[PlaceMention], kinds: tuple[Kind, ...], not_here: Callable[[str], bool],
          by_kind: bool = True) -> PlaceMention | None:
    allowed = [p for p in places if p.kind in kinds and not not_here(p.name)]
    if not allowed:
        return None
    if not by_kind:
        return allowed[0]
    return min(allowed, key=lambda p: kinds.index(p.kind))


def _located(figure: Figure, place: str, source: LocationSource) -> Figure:
    return figure.model_copy(update={"location": place, "location_from": source})
