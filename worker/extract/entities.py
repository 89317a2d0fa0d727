"""Named entities from spaCy, cleaned, canonicalised and counted per article.

Honorifics and titles stripped, leading articles and possessives dropped, a bare surname
resolved to the full name met in the same article, agency credits dropped; countries,
demonyms and aliases resolved by the Canonicalizer (config/countries.toml, aliases.toml).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from spacy.tokens import Span

from ..models import Entity
from .canonical import Canonicalizer, Resolved, key

KEEP_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART"}
# Credits and caption markers that NER mistakes for organisations.
JUNK = {"files", "file", "afp", "ap", "reuters", "getty", "getty images", "epa", "photo", "troop", "troops",
        "defence", "defense", "marines", "marine", "media", "press", "rsvp", "gmt", "bst", "est", "utc", "north",
        "south", "east", "west"}
# "Helmand province", "the Kherson region": the place is Helmand, Kherson.
_PLACE_SUFFIX = re.compile(r"\s+(?:province|region|governorate|oblast|district|county|prefecture)$", re.IGNORECASE)
PLACE_LABELS = {"GPE", "LOC", "FAC"}
_TITLES = (
    r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lord|Lady|First Lady|President|Vice President|"
    r"Prime Minister|Minister|Secretary|Defen[cs]e Secretary|Secretary of State|General|Gen|Colonel|Col|"
    r"Lieutenant|Lt|Captain|Capt|Sergeant|Sgt|Major|Maj|Admiral|Adm|Senator|Sen|Representative|Rep|"
    r"Governor|Gov|Judge|Justice|King|Queen|Prince|Princess|Pope|Rev|Reverend|Sheikh|Ayatollah|acting|"
    r"Defen[cs]e|Foreign|Home|Interior|Chancellor|Premier|Commander|Chief|Spokesman|Spokeswoman|of|"
    # military ranks as the wires abbreviate them: "Spc. Kennedy Sanders", "Staff Sgt. Ryan Knauss"
    r"Specialist|Spc|Private|Pvt|Pfc|Corporal|Cpl|Lance Corporal|Lance Cpl|Staff|Master|First Class|"
    r"Petty Officer|Airman|Seaman|Marine|Navy|Army|Air Force|Brig|Brigadier|Lt Col|Lt Gen|Maj Gen|Rear|Vice"
)
_TITLE_PREFIX = re.compile(rf"^(?:(?:{_TITLES})\.?\s+)+", re.IGNORECASE)
_TITLE_WORD = re.compile(rf"^(?:{_TITLES})\.?$", re.IGNORECASE)


def is_title(word: str) -> bool:
    """A word that titles a person's name: "Mr", "President", "Gen."."""
    return bool(_TITLE_WORD.match(word))
_POSSESSIVE = re.compile(r"['’]s?$")
_NICKNAME = re.compile(r"\s+[\"“][^\"”]{1,20}[\"”]\s+")
_US_PREFIX = re.compile(r"^(?:U\.S\.|US|U\.S)\s+(?=[A-Z])")
_ARTICLE = re.compile(r"^the\s+", re.IGNORECASE)


def clean_name(text: str, label: str) -> str:
    """The name without titles, leading 'the', possessive or stray punctuation."""
    name = " ".join(text.split()).strip(" \"'“”‘’()[],.;:")
    name = _POSSESSIVE.sub("", name)
    if label == "PERSON":
        name = _TITLE_PREFIX.sub("", name)
        name = _NICKNAME.sub(" ", name)  # 'Vicente "Ben" Blaz' is Vicente Blaz
    else:
        name = _ARTICLE.sub("", name)
    if label in PLACE_LABELS:
        name = _PLACE_SUFFIX.sub("", name)
        if name.isupper() and len(name) >= 4:
            name = title_place(name)  # a dateline "KYIV —" names Kyiv
    return name.strip()


_PARTICLES = {"au", "aux", "de", "des", "du", "la", "le", "les", "el", "al", "es", "of", "the", "sur", "en", "da", "do"}


def title_place(name: str) -> str:
    """"PORT-AU-PRINCE" -> "Port-au-Prince", "NEW DELHI" -> "New Delhi"."""
    words = re.split(r"([ -])", name.lower())
    return "".join(w if (i and w in _PARTICLES) else w.capitalize() for i, w in enumerate(words))


def collect_entities(spans: Iterable[Span], canonicalizer: Canonicalizer | None = None) -> list[Entity]:
    """One Entity per canonical name (places merged by ISO code), most mentioned first."""
    mentions: list[tuple[str, str, str]] = []  # (surface form, label, cleaned)
    for span in spans:
        if span.label_ not in KEEP_LABELS:
            continue
        cleaned = clean_name(span.text, span.label_)
        # A name has a capital: "defence ministry" is a description NER mistook for one.
        if not cleaned or cleaned.lower() in JUNK or not any(c.isupper() for c in cleaned):
            continue
        label = span.label_
        site = _site_after(span) if label in SITE_LABELS else ""
        if site:  # "Ramstein air base" is the base: Ramstein Air Base ("King Faisal" too, no person)
            label = "FAC" if label == "PERSON" else label
            cleaned = f"{clean_name(span.text, label)} {site}"
        mentions.append((" ".join(span.text.split()), label, cleaned))
    mentions = _people_behind_titles(mentions)
    full_names = _full_names(m for m in mentions if m[1] == "PERSON")
    forms: dict[Resolved, Counter[str]] = defaultdict(Counter)
    for surface, label, cleaned in mentions:
        if label != "PERSON" and cleaned in full_names and _unknown(cleaned, label, canonicalizer):
            label = "PERSON"  # "Blaszczak said" tagged a place or a group: the article's Mariusz Blaszczak
        if label == "PERSON":
            resolved = Resolved(full_names.get(cleaned, cleaned), label)
            known = canonicalizer.aliases.get(key(resolved.canonical)) if canonicalizer is not None else None
            if known is not None and known.label == "PERSON":
                resolved = known  # "Trump" alone is Donald Trump
        elif canonicalizer is not None:
            resolved = canonicalizer.resolve(cleaned, label)
            if label == "ORG" and resolved.canonical == cleaned and _US_PREFIX.match(cleaned):
                # "U.S. Central Command", "US Army": the country written out, unless an alias names it
                resolved = canonicalizer.resolve(_US_PREFIX.sub("United States ", cleaned), label)
        else:
            resolved = Resolved(cleaned, label)
        forms[resolved][surface] += 1
    entities = [
        Entity(
            text=counter.most_common(1)[0][0],
            label=resolved.label,
            canonical=resolved.canonical,
            iso_code=resolved.iso_code,
            count=sum(counter.values()),
            forms=sorted(counter),
        )
        for resolved, counter in forms.items()
    ]
    return sorted(entities, key=lambda e: (-e.count, e.canonical))


SITE_LABELS = {"GPE", "FAC", "ORG", "LOC", "PERSON"}
# What turns a place's name into a site's: "Ramstein air base", "Muan international airport".
_SITES = (("air", "base"), ("airbase",), ("air", "station"), ("naval", "base"), ("international", "airport"),
          ("airport",), ("barracks",), ("airfield",))


def _site_after(span: Span) -> str:
    doc = span.doc
    for words in _SITES:
        following = doc[span.end : span.end + len(words)]
        if len(following) == len(words) and tuple(t.lower_ for t in following) == words:
            return " ".join(w.capitalize() for w in words)
    return ""


def _people_behind_titles(mentions: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """"Secretary of Defense Lloyd Austin" tagged an organisation: a title, then a name whose
    surname the article uses for a person ("Austin said"), is that person."""
    surnames = {cleaned.split()[-1] for _, label, cleaned in mentions if label == "PERSON"}
    out = []
    for surface, label, cleaned in mentions:
        if label != "PERSON":
            stripped = clean_name(surface, "PERSON")
            if stripped != cleaned and len(stripped.split()) >= 2 and stripped.split()[-1] in surnames:
                label, cleaned = "PERSON", stripped
        out.append((surface, label, cleaned))
    return out


def _unknown(name: str, label: str, canonicalizer: Canonicalizer | None) -> bool:
    """Neither an alias nor a country: a bare word the tagger may have mislabelled."""
    if canonicalizer is None:
        return True
    return key(name) not in canonicalizer.aliases and canonicalizer.resolve(name, label).canonical == name \
        and canonicalizer.country(name) is None


def _full_names(people: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """Bare surname -> the most mentioned multi-word name ending in it ("Miller" -> "Christopher Miller")."""
    counts = Counter(cleaned for _, _, cleaned in people)
    by_surname: dict[str, list[str]] = defaultdict(list)
    for name in counts:
        parts = name.split()
        if len(parts) > 1:
            by_surname[parts[-1]].append(name)
    return {
        surname: max(names, key=lambda n: counts[n])
        for surname, names in by_surname.items()
    }
