"""The extract stage: Articles in, Articles with entities and figures out, in batches."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..models import Article, Failure, Figure, TextField
from ..settings import DEFAULT_CONFIG_DIR
from .canonical import Canonicalizer
from .context import ArticleContext, build_context, fill_location
from .entities import clean_name, collect_entities
from .events import Hint, build_events
from .figures import Found, find_figures, unread_note
from .places import merge_entities, missed_spans
from .ellipsis import fill_ellipses
from .lexicon import MILITARY
from .units import with_unit

# Bump whenever the same text would extract differently; reindex uses it to find stale documents.
EXTRACTOR_VERSION = "7"
FIELDS: tuple[TextField, ...] = ("title", "standfirst", "body")
# The parser's memory grows with the length of what it is given (about 2.4 GB per MB of one
# paragraph): bodies are parsed in pieces of this size, cut at paragraph or sentence ends.
MAX_CHUNK_CHARS = 20_000
# Of a longer body only this much is parsed (the whole text is still stored and searchable).
DEFAULT_MAX_PARSE_CHARS = 200_000
# An article's figures are kept up to this many, each with at most this much of its sentence:
# a "sentence" of 20,000 numbers made one figure list of 5.4 GB.
MAX_FIGURES = 1_000
MAX_SENTENCE_CHARS = 1_000
# A note names this many of the numbers that could not be read; the count covers them all.
MAX_UNREAD_SHOWN = 3


@dataclass(frozen=True)
class _Unit:
    index: int
    field: TextField
    base: int
    text: str


class Extractor:
    """Runs one spaCy pipeline over many articles with ``nlp.pipe`` and assembles the results."""

    version = EXTRACTOR_VERSION

    def __init__(self, nlp: Language, batch_size: int = 64, canonicalizer: Canonicalizer | None = None,
                 max_parse_chars: int = DEFAULT_MAX_PARSE_CHARS):
        self.nlp = nlp
        self.batch_size = batch_size
        self.max_parse_chars = max_parse_chars
        self.canon = canonicalizer or Canonicalizer.from_files(
            DEFAULT_CONFIG_DIR / "aliases.toml", DEFAULT_CONFIG_DIR / "countries.toml"
        )

    def extract(self, article: Article) -> Article:
        result = self.extract_many([article])[0]
        if isinstance(result, Failure):
            raise ValueError(result.reason)
        return result

    def extract_many(self, articles: Sequence[Article]) -> list[Article | Failure]:
        """One result per article, in order; an article that breaks the extractor becomes a Failure.

        Runs in a spaCy memory zone: the strings a batch adds to the shared vocabulary (every
        new number, name and typo) are freed after it, so a worker's memory stays flat over
        months. Nothing spaCy-owned leaves the zone; results are plain models.
        """
        with self.nlp.memory_zone():
            return self._extract_many(articles)

    def _extract_many(self, articles: Sequence[Article]) -> list[Article | Failure]:
        parsed: dict[int, list[tuple[_Unit, Doc]]] = defaultdict(list)
        units = list(_units(articles, self.max_parse_chars))
        try:
            docs = self.nlp.pipe((u.text for u in units), batch_size=self.batch_size)
            for unit, doc in zip(units, docs):
                parsed[unit.index].append((unit, doc))
        except Exception:  # one pathological text must not cost the batch: parse one by one
            parsed = self._parse_one_by_one(units)
        results: list[Article | Failure] = []
        for index, article in enumerate(articles):
            if index not in parsed and any(u.index == index for u in units):
                results.append(Failure(origin=article.origin or article.id, reason="spaCy could not parse the text", stage="extract"))
                continue
            try:
                results.append(self._assemble(article, parsed.get(index, [])))
            except Exception as exc:
                reason = f"extraction failed: {type(exc).__name__}: {exc}"
                results.append(Failure(origin=article.origin or article.id, reason=reason, stage="extract"))
        return results

    def _parse_one_by_one(self, units: list[_Unit]) -> dict[int, list[tuple[_Unit, Doc]]]:
        parsed: dict[int, list[tuple[_Unit, Doc]]] = defaultdict(list)
        broken: set[int] = set()
        for unit in units:
            if unit.index in broken:
                continue
            try:
                parsed[unit.index].append((unit, self.nlp(unit.text)))
            except Exception:
                broken.add(unit.index)
                parsed.pop(unit.index, None)
        return parsed

    def _assemble(self, article: Article, parts: list[tuple[_Unit, Doc]]) -> Article:
        spans: list[Span] = []
        found: list[Found] = []
        unread: list[str] = []
        for unit, doc in parts:
            # Places and aliases NER missed ("Niger", "Daesh") become entities before figures read them.
            doc.ents = merge_entities(doc.ents, missed_spans(doc, self.canon))
            spans.extend(doc.ents)
            found.extend(find_figures(doc, unit.field, unit.base, unread))
        # Figure locations use the same canonical names as entities ("Aghanistan", "the US").
        context = build_context(((u.field, u.base, doc) for u, doc in parts), article.body, self._place_name,
                                self._is_country, self.canon.is_city, self._country_of_city)
        kept, figures = [], []
        for item in _with_ellipses(found[:MAX_FIGURES]):
            try:
                figures.append(_short_sentence(with_unit(self._located(item, context))))
                kept.append(item)
            except Exception as exc:  # noqa: BLE001 - one figure that cannot be placed is skipped, not the article
                unread.append(unread_note(item.figure.text, item.figure.field, item.figure.start, exc))
        notes = self._notes(article, len(found), unread)
        try:
            hints = [Hint(f.actor, f.nationality, f.also_places) for f in kept]
            events = build_events(figures, article.published_at, self.canon, hints, article.body)
        except Exception as exc:  # noqa: BLE001 - the figures stand without their events
            events = []
            notes.append(f"events not built: {type(exc).__name__}: {exc}; the figures are kept")
        return article.model_copy(
            update={
                "entities": collect_entities(spans, self.canon),
                "figures": figures,
                "events": events,
                "extractor_version": self.version,
                "notes": notes,
            }
        )

    def _notes(self, article: Article, found: int, unread: list[str]) -> list[str]:
        notes = []
        if len(article.body) > self.max_parse_chars:
            notes.append(f"entities, figures and events read from the first {self.max_parse_chars:,} of the body's "
                         f"{len(article.body):,} characters (NEWSWORKER_MAX_PARSE_CHARS); the whole text is stored")
        if found > MAX_FIGURES:
            notes.append(f"{found:,} figures found; the first {MAX_FIGURES:,} are kept")
        if unread:
            shown = "; ".join(unread[:MAX_UNREAD_SHOWN]) + ("; ..." if len(unread) > MAX_UNREAD_SHOWN else "")
            notes.append(f"{len(unread):,} number(s) could not be read as figures and were skipped: {shown}")
        return notes

    def _place_name(self, text: str) -> str | None:
        name = clean_name(text, "GPE")
        if not name or self.canon.speaks_for_country(name):
            return None  # "the White House", "the Pentagon": who speaks, not where anything is
        return self.canon.resolve(name, "GPE").canonical

    def _is_country(self, name: str) -> bool:
        resolved = self.canon.country(name)
        return resolved is not None and resolved.canonical == name

    def _located(self, found: Found, context: ArticleContext) -> Figure:
        """The figure's place: its clause's, else the one the article's context gives."""
        figure = _canonical_location(_places_needing_countries(found, self.canon), self.canon)
        if figure.location_from == "previous_sentence" and context.is_whole_article:
            # "in the country", "there" in a whole article: the context knows which kind of place.
            figure = figure.model_copy(update={"location": None, "location_from": None})
        whose = found.nationality or found.actor
        owner = self.canon.actor_country(whose) if whose else None
        # Forces are abroad far more often than at home; civilians die in their own country.
        abroad = figure.category == "troops" or bool(MILITARY.search(figure.counts))
        capital_of = self._capital_of
        if owner is None or not abroad:
            return fill_location(figure, context, lambda place: False, capital_of)
        return fill_location(figure, context, lambda place: self.canon.actor_country(place) == owner, capital_of)

    def _country_of_city(self, name: str) -> str | None:
        country = self.canon.country_of_city(name)
        return country.canonical if country else None

    def _capital_of(self, name: str) -> str | None:
        country = self.canon.capital_of(name)
        return country.canonical if country else None


def _with_ellipses(found: list[Found]) -> list[Found]:
    """The nouns sentences left out ("Of the troops leaving, about 6,400 ..."), in text order per field."""
    order = sorted(range(len(found)), key=lambda i: (FIELDS.index(found[i].figure.field), found[i].figure.start))
    filled = fill_ellipses([found[i].figure for i in order])
    out = list(found)
    for i, figure in zip(order, filled):
        out[i] = replace(found[i], figure=figure)
    return out


def _short_sentence(figure: Figure) -> Figure:
    """The figure's sentence, cut to a window around the figure when it is no sentence at all."""
    if len(figure.sentence) <= MAX_SENTENCE_CHARS:
        return figure
    at = max(figure.sentence.find(figure.text), 0)
    start = max(0, at - MAX_SENTENCE_CHARS // 2)
    return figure.model_copy(update={"sentence": figure.sentence[start : start + MAX_SENTENCE_CHARS]})


def _places_needing_countries(found: Found, canon: Canonicalizer) -> Figure:
    """Places the parse left to be decided with country knowledge: "in the country" (the last
    place named that is not the troops' own country) and "Bahrain has 9,000 American personnel"
    (troops of another country are in the subject's)."""
    figure = found.figure
    whose = found.nationality or found.actor
    owner = canon.actor_country(whose) if whose else None
    if not figure.location and found.prior_places:
        # "the 1,500 French soldiers based in the country": the last place named that is not France
        place = next((p for p in found.prior_places if owner is None or canon.actor_country(p) != owner), None)
        return figure.model_copy(update={"location": place, "location_from": "previous_sentence"}) if place else figure
    if figure.location or not found.subject_place or not found.nationality:
        return figure
    host = canon.actor_country(found.subject_place)
    if host is None or owner is None or host == owner:
        return figure
    return figure.model_copy(update={"location": found.subject_place})


def _canonical_location(figure: Figure, canon: Canonicalizer) -> Figure:
    if not figure.location:
        return figure
    place = clean_name(figure.location, "GPE")  # "the Red Sea", "Helmand province"
    return figure.model_copy(update={"location": canon.resolve(place, "GPE").canonical})


def _units(articles: Sequence[Article], max_chars: int) -> Iterator[_Unit]:
    for index, article in enumerate(articles):
        for field in FIELDS:
            text = article.field_text(field)[:max_chars]
            for base, chunk in _chunks(text):
                yield _Unit(index, field, base, chunk)


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Pieces of at most MAX_CHUNK_CHARS, cut at paragraph breaks where possible."""
    start = 0
    while start < len(text):
        end = min(start + MAX_CHUNK_CHARS, len(text))
        if end < len(text):
            cut = text.rfind("\n\n", start, end)
            if cut <= start:
                cut = text.rfind(". ", start, end) + 1
            end = cut if cut > start else end
        chunk = text[start:end]
        if chunk.strip():
            yield start, chunk
        start = end
