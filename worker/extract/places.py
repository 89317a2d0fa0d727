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
from .lexicon import SITE_NOUNS, TARGET_VERBS

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
    found.extend(_places_called_organisations(doc, canon, taken))
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
        if canon.place(text) is not None:
            return end, "GPE"
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


def _places_called_organisations(doc: Doc, canon: Canonicalizer, taken: set[int]) -> list[Span]:
    out = []
    for ent in doc.ents:
        if ent.label_ != "ORG" or len(ent) != 1 or ent.start in taken:
            continue
        token = ent[0]
        if token.pos_ != "PROPN" or key(token.text) in canon.aliases or token.text.isupper():
            continue
        if token.dep_ != "pobj" or token.head.head.lower_ == "according":
            continue
        # "in Goma"; "a strike on Kharkiv" (a city the gazetteer knows, after any preposition)
        if token.head.lower_ in PLACE_PREPOSITIONS or key(token.text) in canon.cities:
            out.append(Span(doc, ent.start, ent.end, label="GPE"))
    return out


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
