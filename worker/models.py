"""The data contract between stages (field names are also the contract with Kibana).

source -> RawDocument -> normalize -> Article -> extract -> Article(+entities, figures,
events) -> store. Queries go in as SearchQuery and come back as SearchResult.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FigureCategory = Literal["troops", "killed", "injured", "people", "money", "percent", "other"]
Qualifier = Literal["exact", "approx", "at_least", "at_most", "range"]
FigureRole = Literal["level", "change", "previous_level", "other"]
EventType = Literal["troop_level", "troop_level_change", "casualties"]
TextField = Literal["title", "standfirst", "body"]
LocationSource = Literal["clause", "sentence", "previous_sentence", "scene"]
DatePrecision = Literal["day", "month", "year", "period"]
SourceKind = Literal["text", "html", "json", "feed", "url"]


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _unsurrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    # U+DC80..U+DCFF stand for the undecodable bytes of a file name (os.fsdecode).
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "\ufffd"


def valid_unicode(value: object) -> object:
    """Strings (and lists of them) without lone surrogates, which have no UTF-8 form: JSON,
    SQLite and Elasticsearch all refuse them. They come from JSON escapes ("\\ud800") and
    from file names that are not UTF-8; everything downstream may then assume valid text."""
    if isinstance(value, str):
        return _SURROGATE.sub(_unsurrogate, value) if not value.isascii() else value
    if isinstance(value, list):
        return [valid_unicode(v) for v in value]
    return value


class RawDocument(Contract):
    """What a source hands to normalize: text (or HTML) plus where it came from.

    Structured sources (JSON, feeds) fill title/published/etc. themselves; for plain
    text the title and standfirst are found by normalize.
    """

    kind: SourceKind
    origin: str = Field(description="file path, path#record, or URL the document came from")
    text: str
    title: str | None = None
    standfirst: str | None = None
    url: str | None = None
    # The page's own <link rel="canonical"> (fetched pages): the article's name, where ``url`` is
    # where it was read. Empty: ``url`` is canonical.
    canonical_url: str | None = None
    source: str | None = None
    feed_url: str | None = None
    entry_id: str | None = Field(default=None, description="a feed item's id (guid) in its feed")
    published: str | None = Field(default=None, description="date as given by the source, any format")
    authors: list[str] = []
    # A feed item's text came from the article page itself (full-article fetch), not the feed.
    page_fetched: bool = False
    fetched_at: datetime | None = Field(default=None, description="when the page was fetched (a WARC record's WARC-Date)")

    @field_validator("*", mode="before")
    @classmethod
    def _valid_unicode(cls, value: object) -> object:
        return valid_unicode(value)


class Entity(Contract):
    text: str = Field(description="the most frequent surface form")
    label: str
    canonical: str
    iso_code: str | None = None
    count: int = Field(ge=1)
    forms: list[str] = []


class Figure(Contract):
    value: float
    value_max: float | None = Field(default=None, description="upper bound when qualifier is range")
    text: str = Field(description="the exact span of the number in the field, e.g. '3,000' or '$2.5m' (words such as 'about' go to qualifier)")
    counts: str = Field(default="", description="the noun phrase counted, e.g. 'US service members'")
    category: FigureCategory = "other"
    qualifier: Qualifier = "exact"
    location: str | None = None
    # Where the location came from: the figure's own clause, the sentence before it in the
    # paragraph (also "there", "in the country"), or the article's scene (dateline, headline, lead).
    location_from: LocationSource | None = None
    role: FigureRole = "other"
    sentence: str
    field: TextField = "body"
    start: int = Field(ge=0, description="character offset of the span in its field")
    end: int = Field(ge=0)

    def around(self) -> tuple[str, str] | None:
        """Its sentence before and after its span; None when the span is not in it (a sentence
        cut to a window that starts after it)."""
        at = self.sentence.find(self.text) if self.text else -1
        return (self.sentence[:at], self.sentence[at + len(self.text) :]) if at >= 0 else None


class EventPart(Contract):
    """One piece of a change told with its breakdown: 6,400 of 12,000 going home."""

    value: float
    destination: str | None = None


class EventMention(Contract):
    type: EventType
    key: str
    actor: str | None = None
    location: str | None = None
    value: float | None = Field(default=None, description="the level, the casualty count, or the size of a change")
    from_value: float | None = None
    to_value: float | None = None
    delta: float | None = Field(default=None, description="signed change: negative for a cut")
    measure: Literal["killed", "injured"] | None = None
    date: datetime | None = Field(default=None, description="when it happened: the day, or the start of the month, year or period")
    date_precision: DatePrecision | None = Field(default=None, description="how precisely the text said it: day, month, year or period")
    date_end: datetime | None = Field(default=None, description="the end of a period ('since 2003': the publication date)")
    parts: list[EventPart] = Field(default=[], description="the pieces of a change told with its breakdown")
    sentence: str = ""


class Article(Contract):
    id: str
    url: str | None = None
    canonical_url: str | None = None
    source: str | None = None
    feed_url: str | None = None
    origin: str = ""
    title: str
    standfirst: str = ""
    body: str
    # A feed gave a headline and a link but no text: the body is the headline, so it is searchable.
    headline_only: bool = Field(default=False, description="the body is the title: the feed item had no text of its own")
    published_at: datetime | None = None
    published_from: Literal["source", "text", "none"] = "none"
    language: str | None = None
    authors: list[str] = []
    ingested_at: datetime = Field(default_factory=utc_now)
    fetched_at: datetime | None = Field(default=None, description="when the page was fetched, when a crawl says (WARC-Date)")
    content_hash: str
    simhash: str = ""
    duplicate_of: str | None = None
    extractor_version: str | None = None
    notes: list[str] = Field(default=[], description="what the extractor could not do in full, e.g. a body parsed in part")
    entities: list[Entity] = []
    figures: list[Figure] = []
    events: list[EventMention] = []

    @field_validator("published_at", "ingested_at", "fetched_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value)

    def field_text(self, name: TextField) -> str:
        return getattr(self, name)


class Failure(Contract):
    """One input that could not be ingested, with the reason a user can act on."""

    origin: str
    reason: str
    stage: Literal["read", "normalize", "extract", "index"]
    at: datetime = Field(default_factory=utc_now)

    @field_validator("origin", "reason", mode="before")
    @classmethod
    def _valid_unicode(cls, value: object) -> object:
        return valid_unicode(value)

    def line(self) -> str:
        return f"{self.origin}: {self.reason}"


class Skipped(Contract):
    """An input read and deliberately not ingested (a WARC request record, a page outside
    --domain): counted by reason in the batch report, never a failure."""

    origin: str
    reason: str = Field(description="a short fixed phrase, the key it is counted under, e.g. 'request record'")


IndexStatus = Literal["created", "updated", "unchanged", "failed"]


class IndexOutcome(Contract):
    id: str
    origin: str = ""
    status: IndexStatus
    reason: str = Field(default="", description="why the store refused the document, when status is failed")


class BatchReport(Contract):
    """What one ingest batch did; crosses the Celery boundary as JSON."""

    indexed: list[IndexOutcome] = []
    duplicates: list[IndexOutcome] = []
    failed: list[Failure] = []
    handed_off: list[str] = Field(default=[], description="ids of the tasks that index the rest of a long file")
    skipped: dict[str, int] = Field(default={}, description="inputs read and not ingested, counted by reason "
                                    "(WARC records that are not HTML pages, or outside --domain / --since)")

    @property
    def total(self) -> int:
        return len(self.indexed) + len(self.duplicates) + len(self.failed)

    def merge(self, other: "BatchReport") -> "BatchReport":
        skipped = dict(self.skipped)
        for reason, count in other.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + count
        return BatchReport(
            indexed=self.indexed + other.indexed,
            duplicates=self.duplicates + other.duplicates,
            failed=self.failed + other.failed,
            handed_off=self.handed_off + other.handed_off,
            skipped=skipped,
        )


class SearchQuery(Contract):
    text: str = ""
    entity: str | None = None
    location: str | None = None
    figure_category: FigureCategory | None = None
    figure_min: float | None = None
    figure_max: float | None = None
    qualifier: Qualifier | None = None
    event_type: EventType | None = None
    source: str | None = None
    published_from: datetime | None = None
    published_to: datetime | None = None
    size: int = Field(default=10, ge=0, le=1000)
    offset: int = Field(default=0, ge=0)
    facets: bool = True
    include_duplicates: bool = Field(default=False, description="also list near-copies; by default only originals")

    @field_validator("published_from", "published_to")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value)

    @model_validator(mode="after")
    def _ranges_make_sense(self) -> "SearchQuery":
        if self.figure_min is not None and self.figure_max is not None and self.figure_min > self.figure_max:
            raise ValueError(f"figure range is empty: min {self.figure_min} > max {self.figure_max}")
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise ValueError("date range is empty: published_from is after published_to")
        return self

    @property
    def filters_figures(self) -> bool:
        return any(
            v is not None for v in (self.figure_category, self.figure_min, self.figure_max, self.qualifier)
        )


class SearchHit(Contract):
    id: str
    score: float
    title: str
    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    highlights: list[str] = Field(default=[], description="fragments with matches wrapped in <em></em>")
    figures: list[Figure] = Field(default=[], description="the figures that satisfied the figure filter")
    event_keys: list[str] = Field(default=[], description="keys of the rolled-up events the article reports "
                                  "(`newsworker show-event KEY`); its own mention keys until the rollup has it")
    duplicate_of: str | None = None
    duplicates: list[str] = Field(default=[], description="ids of stored near-copies of this article")


class FacetCount(Contract):
    value: str
    count: int


class SearchResult(Contract):
    total: int = Field(description="articles matching; with total_relation gte, at least this many")
    hits: list[SearchHit]
    facets: dict[str, list[FacetCount]] = {}
    total_relation: Literal["eq", "gte"] = Field(
        default="eq", description="eq: total is exact; gte: counting stopped at total (shown as '10,000+')")
    facets_top: int | None = Field(
        default=None, description="when set, the facets count the best-ranked this many matches, not every match")


class StoreStats(Contract):
    kind: str
    location: str
    articles: int
    entities: int
    figures: int
    events: int
    failures: int
    last_ingested_at: datetime | None = None
    recent_failures: list[Failure] = []


# --------------------------------------------------------------------------- cross-source events

FactKind = Literal["troops", "troop_change", "casualties"]


class EventReport(Contract):
    """One article's telling of an event: who said it, when, and the numbers it gave."""

    article_id: str
    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    duplicate_of: str | None = Field(default=None, description="set when the article is a near-copy of another")
    told_as: EventType = Field(description="how this article framed it: a level, a change, casualties")
    value: float | None = Field(default=None, description="the value this source gave for the event's measure")
    from_value: float | None = None
    to_value: float | None = None
    date: datetime | None = Field(default=None, description="the date the sentence gives, else the article's")
    sentence: str = ""


class EventRecord(Contract):
    """One fact rolled up across every article that reported it (the events index / table)."""

    key: str = Field(description="kind:actor:location:value:first-date, the key of the earliest report")
    type: EventType = Field(description="troop_level (also when told as a change to a level), troop_level_change, casualties")
    told_as: list[EventType] = Field(default=[], description="every framing the reports used")
    measure: Literal["killed", "injured"] | None = None
    actor: str | None = None
    location: str | None = None
    date: datetime | None = Field(default=None, description="the earliest date a report gives (for a period, its end)")
    date_precision: DatePrecision | None = Field(default=None, description="day, month, year or period, as the earliest report said it")
    date_end: datetime | None = Field(default=None, description="the end of a period")
    period_start: datetime | None = Field(default=None, description="the start of a period (date is then its end: a count as of then)")
    value: float | None = Field(default=None, description="the value most reports gave")
    values: list[float] = Field(default=[], description="every distinct value reported; disagreement is kept")
    reports: list[EventReport] = []
    sources: list[str] = []
    article_ids: list[str] = []
    first_seen: datetime | None = Field(default=None, description="earliest publication time among the reports")
    last_seen: datetime | None = None
    summary: str = ""


MAX_EVENT_WORDS = 32


class EventQuery(Contract):
    text: str = Field(default="", description="words matched against actor, location, type and the reports' sentences")
    type: EventType | None = None
    location: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    size: int = Field(default=50, ge=1, le=1000)

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value)

    @field_validator("text")
    @classmethod
    def _few_words(cls, value: str) -> str:
        # Every word is one more condition on every record: a paragraph is not a query.
        if len(value.split()) > MAX_EVENT_WORDS:
            raise ValueError(f"at most {MAX_EVENT_WORDS} words, got {len(value.split())}: narrow it with --type, --location, --actor")
        return value
