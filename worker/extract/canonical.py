"""Canonical names: countries (names, forms, demonyms, one-edit misspellings) to one name and
ISO 3166 code, and aliases from config/aliases.toml. Data from files; lookups are pure."""

from __future__ import annotations

import re
import tomllib
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


class Canonicalizer:
    def __init__(self, aliases: dict[str, Resolved], countries: dict[str, Resolved]):
        self.aliases = aliases
        self.countries = countries
        self._fuzzy = {k: v for k, v in countries.items() if len(k) >= MIN_FUZZY_LENGTH and " " not in k}

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

    def _one_edit_away(self, k: str) -> Resolved | None:
        if len(k) < MIN_FUZZY_LENGTH:
            return None
        matches = {v for name, v in self._fuzzy.items() if abs(len(name) - len(k)) <= 1 and one_edit(name, k)}
        return matches.pop() if len(matches) == 1 else None


def one_edit(a: str, b: str) -> bool:
    """True if a and b differ by exactly one insertion, deletion or substitution."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :] if len(a) < len(b) else a[i + 1 :] == b[i + 1 :]


@lru_cache(maxsize=4)
def _load(aliases_file: str, countries_file: str) -> Canonicalizer:
    return Canonicalizer(_aliases(Path(aliases_file)), _countries(Path(countries_file)))


def _aliases(path: Path) -> dict[str, Resolved]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    table: dict[str, Resolved] = {}
    for entry in data.get("entity", []):
        resolved = Resolved(entry["canonical"], entry.get("label", "ORG"))
        for form in [entry["canonical"], *entry.get("forms", [])]:
            table[key(form)] = resolved
    return table


def _countries(path: Path) -> dict[str, Resolved]:
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    names, forms, demonyms = config.get("names", {}), config.get("forms", {}), config.get("demonyms", {})
    table: dict[str, Resolved] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        canonical = names.get(code) or getattr(country, "common_name", None) or country.name
        resolved = Resolved(canonical, "GPE", code)
        official = getattr(country, "official_name", None)
        for form in (canonical, country.name, official, *forms.get(code, []), *demonyms.get(code, [])):
            if form:
                table.setdefault(key(form), resolved)
    return table
