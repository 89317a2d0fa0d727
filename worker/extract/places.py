"""Places and aliases the statistical NER missed or mislabelled, found from the word lists.

The small English model tags "Niger" as a date, "Kyiv" and "Okinawa" as organisations and
misses "Daesh" altogether. Countries and capitals (config/countries.toml) and alias forms
(config/aliases.toml) are matched on the tokens; a one-word "organisation" that is the object
of a place preposition ("withdrawn from Okinawa") is taken as a place unless it is a known
alias. The returned spans replace the entities they overlap.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span

from .canonical import Canonicalizer, key
from .entities import is_title
from .lexicon import AT_HEADS, MOVING_FROM, SITE_NOUNS, TARGET_VERBS

MAX_WORDS = 4
# Labels that never hold a real name, so a gazetteer match may replace them.
WEAK_LABELS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "WORK_OF_ART", "PRODUCT", "NORP", "LOC"}
PLACE_PREPOSITIONS = {"in", "from", "near", "around", "outside", "into", "inside", "across", "of", "toward", "towards"}


def missed_spans(doc: Doc, canon: Canonicalizer) -> list[Span]:
    """Spans (label GPE or the alias's label) for names the entity recogniser got wrong."""
    owner = {i: ent for ent in doc.ents for i in range(ent.start, ent.end)}
    found: list[Span] = []
    i = 0
    while i < len(doc):
        match = _longest_match(doc, i, canon)
        if match is None:
            i += 1
            continue
        end, label = match
        ents = {owner[j] for j in range(i, end) if j in owner}
        if all(_replaceable(e, i, end) for e in ents) and not _already(ents, i, end, label):
            found.append(Span(doc, i, end, label=label))
        i = end
    taken = {s.start for s in found}
    found.extend(_places_by_position(doc, canon, taken))
    found.extend(_untagged_places(doc, canon, owner, taken | {s.start for s in found}))
    found.extend(_known_cities(doc, canon, owner, taken | {i for s in found for i in range(s.start, s.end)}))
    dateline = _dateline(doc, taken | {s.start for s in found})
    return found + ([dateline] if dateline is not None else [])


def merge_entities(ents: tuple[Span, ...] | list[Span], extra: list[Span]) -> list[Span]:
    """The document's entities with the overlapping ones replaced by ``extra`` (of extras that
    overlap each other, the longest: "PORT-AU-PRINCE" over the "AU" inside it)."""
    chosen: list[Span] = []
    for span in sorted(extra, key=lambda s: (s.start - s.end, s.start)):
        if not any(span.start < other.end and other.start < span.end for other in chosen):
            chosen.append(span)
    extra = chosen
    taken = {i for span in extra for i in range(span.start, span.end)}
    kept = [e for e in ents if not any(i in taken for i in range(e.start, e.end))]
    return sorted([*kept, *extra], key=lambda s: s.start)


def _longest_match(doc: Doc, i: int, canon: Canonicalizer) -> tuple[int, str] | None:
    if not doc[i].text[:1].isupper():
        return None
    for end in range(min(len(doc), i + MAX_WORDS), i, -1):
        text = doc[i:end].text
        if not doc[end - 1].text[:1].isalpha():
            continue
        alias = canon.aliases.get(key(text))
        if alias is not None and text in canon.alias_forms:
            return end, alias.label
        if (place := canon.place(text)) is not None:
            return end, "LOC" if place.label == "LOC" else "GPE"
    return None


def _replaceable(ent: Span, start: int, end: int) -> bool:
    exact = ent.start == start and ent.end == end
    inside = start <= ent.start and ent.end <= end
    return ent.label_ in WEAK_LABELS or exact or inside


def _already(ents: set[Span], start: int, end: int, label: str) -> bool:
    return any(e.start == start and e.end == end and e.label_ == label for e in ents)


def _untagged_places(doc: Doc, canon: Canonicalizer, owner: dict, taken: set[int]) -> list[Span]:
    """"killed near Avdiivka" when NER tagged nothing: a lone proper noun after a place preposition."""
    out = []
    for token in doc:
        if token.i in owner or token.i in taken or token.pos_ != "PROPN" or not token.text[:1].isupper():
            continue
        if token.is_sent_start or key(token.text) in canon.aliases or token.text.isupper():
            continue
        if any(c.dep_ == "compound" for c in token.children):
            continue
        site = token.head if token.dep_ == "compound" and token.head.lemma_.lower() in SITE_NOUNS else None
        if token.dep_ == "compound" and site is None:
            continue
        anchor = site or token  # "in Russia's Kursk region": Kursk names the region
        prep = anchor.head
        if prep.lower_ == "of" and prep.head.lemma_.lower() in SITE_NOUNS:
            out.append(Span(doc, token.i, token.i + 1, label="GPE"))  # "the city of Zaporizhzhia"
        elif anchor.dep_ == "pobj" and prep.lower_ in PLACE_PREPOSITIONS - {"of"} and prep.head.lower_ != "according":
            out.append(Span(doc, token.i, token.i + 1, label="GPE"))
    return out


def _known_cities(doc: Doc, canon: Canonicalizer, owner: dict, taken: set[int]) -> list[Span]:
    """A city from the gazetteer (config/countries.toml [gazetteer]) that NER tagged as a person
    or organisation or split ("seized Goma", "the city of Boa Vista"), where a place is expected."""
    if not canon.cities:
        return []
    out: list[Span] = []
    i = 0
    while i < len(doc):
        if not doc[i].text[:1].isupper():  # a name starts with a capital: skip the rest cheaply
            i += 1
            continue
        match = None
        for end in range(min(len(doc), i + 3), i, -1):
            span = doc[i:end]
            if span.text[:1].isupper() and key(span.text) in canon.cities and not any(j in taken for j in range(i, end)):
                match = span
                break
        if match is None:
            i += 1
            continue
        ents = {owner[j] for j in range(match.start, match.end) if j in owner}
        mistaken = all(e.label_ in ("PERSON", "ORG", "NORP", "WORK_OF_ART", "PRODUCT") for e in ents)  # not "in March"
        inside_longer = any(e.start < match.start or e.end > match.end for e in ents)
        if mistaken and not inside_longer and _where_a_place_goes(match.root):
            out.append(Span(doc, match.start, match.end, label="GPE"))
        i = match.end
    return out


def _where_a_place_goes(token) -> bool:
    if token.dep_ == "compound" and token.head.lemma_.lower() in SITE_NOUNS:
        token = token.head
    head = token.head
    if token.dep_ == "pobj":
        if head.lower_ == "of":
            return head.head.lemma_.lower() in SITE_NOUNS
        return head.lower_ in PLACE_PREPOSITIONS and head.head.lower_ != "according"
    return token.dep_ == "dobj" and head.lemma_.lower() in TARGET_VERBS


def _dateline(doc: Doc, taken: set[int]) -> Span | None:
    """"KAISERSLAUTERN, Germany — ...", "NEW DELHI —", "PORT-AU-PRINCE, Haiti (AP) —": the
    capitalised words that open a dateline are a place."""
    if len(doc) < 3 or 0 in taken:
        return None
    end = 0
    while end < min(len(doc), 8):
        token = doc[end]
        joined = end > 0 and token.text == "-" and not doc[end - 1].whitespace_ and not token.whitespace_
        if not (token.is_alpha and token.text.isupper()) and not joined:
            break
        end += 1
    if end == 0 or end >= len(doc) or doc[end - 1].text == "-" or len(doc[0:end].text) < 4:
        return None
    if doc[end].text not in (",", "—", "–", "-", "("):
        return None
    if any(e.start == 0 and e.end == end and e.label_ in ("GPE", "LOC") for e in doc.ents):
        return None
    return Span(doc, 0, end, label="GPE")


# Labels the small model gives little-known places: "from Gao" and "at al-Tanf" (PERSON), "at
# El Baraf" and "the Tillabéri region" (ORG), "across the Sahel" (PRODUCT), "struck Tower 22" (LAW).
MISLABELS = {"ORG", "PERSON", "PRODUCT", "LAW", "WORK_OF_ART", "EVENT"}
# Words that name a site when written with a capital inside a name: "Tower 22", "Camp Blaz".
SITE_WORDS = {"tower", "base", "airbase", "camp", "barracks", "airfield", "fort", "outpost", "garrison"}
# A person is often "from" or "of" someone; "at", "in", "near" a person hardly ever.
PERSON_PREPOSITIONS = (PLACE_PREPOSITIONS | {"at"}) - {"from", "of", "toward", "towards"}
# Nouns of an administrative area named by the word before them: "the Tillabéri region".
AREA_NOUNS = {"region", "province", "department", "district", "county", "governorate", "oblast", "prefecture",
              "municipality", "state"}
# Words that make a name an organisation wherever it stands: "at the Defense Ministry", "at Apple Inc".
ORG_WORDS = {"ministry", "inc", "corp", "ltd", "llc", "group", "company", "council", "agency", "institute",
             "bank", "party", "committee", "commission", "association", "foundation", "fund", "office",
             "department", "university", "force", "forces", "army", "command", "union", "organization",
             "organisation", "watch", "news", "times", "post"}


def _places_by_position(doc: Doc, canon: Canonicalizer, taken: set[int]) -> list[Span]:
    """Names tagged as people, organisations or products that stand where a place goes: after a
    place preposition ("pull out from Gao", "troops at al-Tanf"), or naming an area ("the
    Tillabéri region")."""
    # "Joe Biden" makes a later lone "Biden" a person wherever it stands.
    people = {t.lower_ for ent in doc.ents if ent.label_ == "PERSON" and len(ent.text.split()) > 1 for t in ent}
    out = []
    for ent in doc.ents:
        if ent.label_ not in MISLABELS or len(ent) > 3 or ent.start in taken:
            continue
        root = ent.root
        words = {t.lower_ for t in ent}
        # "struck Tower 22", "Air Base 201", "Camp Lemonnier": a named site, whatever its label.
        if ent.label_ != "PERSON" and words & SITE_WORDS and any(t.text[:1].isupper() and t.lower_ in SITE_WORDS for t in ent):
            out.append(Span(doc, ent.start + (ent[0].lower_ == "the"), ent.end, label="FAC"))
            continue
        # "the Artibonite department", "Kursk Oblast": the area noun came inside the name (a
        # capitalised "Department" or "State" is a government's: "the State Department").
        last = ent[-1]
        if len(ent) > 1 and last.lower_ in AREA_NOUNS and ent.label_ != "PERSON" and \
                (last.text.islower() or last.lower_ not in ("state", "department")):
            # "the Artibonite department" is Artibonite; "Donetsk Oblast" keeps its name.
            start = ent.start + (ent[0].lower_ == "the")
            end = ent.end - 1 if last.text.islower() else ent.end
            if start < end:
                out.append(Span(doc, start, end, label="GPE"))
            continue
        if root.pos_ != "PROPN" or key(ent.text) in canon.aliases or ent.text.isupper() or words & ORG_WORDS:
            continue
        if ent.label_ == "PERSON" and (len(ent.text.split()) > 1 or root.lower_ in people or _titled(ent)):
            continue
        if root.dep_ == "compound" and root.head.lemma_.lower() in AREA_NOUNS and root.head.i == ent.end:
            out.append(Span(doc, ent.start, ent.end, label="GPE"))
            continue
        prep = root.head
        if root.dep_ == "pobj" and _a_place_preposition(prep, ent.label_ == "PERSON"):
            out.append(Span(doc, ent.start, ent.end, label="GPE"))
        elif root.dep_ == "conj" and out and out[-1].root == root.head:
            out.append(Span(doc, ent.start, ent.end, label="GPE"))  # "at Gossi and Ménaka"
        elif root.dep_ == "pobj" and prep.lower_ != "at" and ent.label_ == "ORG" and len(ent) == 1 \
                and key(ent.text) in canon.cities:
            out.append(Span(doc, ent.start, ent.end, label="GPE"))  # "a strike on Kharkiv"
    return out


def _a_place_preposition(prep, person: bool) -> bool:
    """"in", "near", "across" name a place; "at" one where troops are or something happened
    ("the garrison at al-Tanf", "killed at Tapa"; not "met him at Google"); "from" one that
    forces move from ("pull out from Gao"; not "a call from Biden")."""
    word, head = prep.lower_, prep.head.lemma_.lower()
    if head == "according":
        return False
    # The lemmatiser makes "bases" "basis": the word as written counts too.
    heads = {head, prep.head.lower_.removesuffix("s")}
    if word == "at":
        return bool(heads & (AT_HEADS | MOVING_FROM))
    if word == "from":
        return bool(heads & MOVING_FROM) or not person
    return word in (PERSON_PREPOSITIONS if person else PLACE_PREPOSITIONS - {"of"})


def _titled(ent: Span) -> bool:
    """"Mr Gao", "President Tapa": a title before the name makes it a person's."""
    return ent.start > 0 and is_title(ent.doc[ent.start - 1].text)


# Units tagged as places: "45 Commando", "the 1st Battalion", "2nd Cavalry Regiment".
UNIT_WORDS = {"battalion", "brigade", "commando", "regiment", "division", "corps", "squadron", "platoon",
              "battlegroup"}
# A place that only measures a distance from it: "a base at El Baraf, about 100 miles north of
# Mogadishu", "Tapa, some 80 kilometres east of Tallinn".
_DISTANCE_FROM = re.compile(r"\b(?:miles?|mi|kilomet(?:er|re)s?|km|metres?|meters?)\s+(?:[a-z-]+\s+){0,2}"
                            r"(?:of|from)\s+(?:the\s+)?$", re.I)


def names_no_setting(ent: Span) -> bool:
    """A place-labelled name that says where nothing is: a military unit, or a place named only
    to measure a distance from."""
    if {w.lower() for w in ent.text.split()} & UNIT_WORDS:
        return True
    # The few tokens before it, not doc.text: that is rebuilt on every access.
    before = ent.doc[max(0, ent.start - 6) : ent.start].text
    return bool(_DISTANCE_FROM.search(before + " " if before else ""))
