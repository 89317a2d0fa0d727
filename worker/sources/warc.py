"""WARC files (CommonCrawl's CC-NEWS) to RawDocuments: one per HTML page a crawler fetched.

A ``response`` record whose HTTP status is 200 and whose payload is HTML is read like an
HTML file (trafilatura: main text and metadata), with the record's WARC-Target-URI as the
article's URL, its WARC-Date as the fetch time and the page's own date as published. Every
other record is Skipped with a reason it is counted under; one that cannot be read is a
Failure naming the file, the record's offset and its URI.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, field_validator

from ..errors import InputError
from ..models import Failure, RawDocument, Skipped
from ..normalize.dates import parse_date
from ..settings import WarcSettings
from .html import read_html
from .local import open_regular
from .warc_records import Record, records

Item = RawDocument | Failure | Skipped
# Told the offset reached after each record: the progress of a long file.
Progress = Callable[[int], None]


class WarcFilter(BaseModel):
    """Which pages of a WARC file are wanted: by host (a domain and its subdomains), by date."""

    model_config = ConfigDict(extra="forbid")

    domains: list[str] = []
    since: datetime | None = None

    @field_validator("domains")
    @classmethod
    def _hosts(cls, values: list[str]) -> list[str]:
        # "https://www.bbc.co.uk/news" and "BBC.co.uk." both mean the host bbc.co.uk and below.
        hosts = [(urlsplit(v if "//" in v else f"//{v}").hostname or "").strip(".") for v in values]
        if not all(hosts):
            raise ValueError(f"not a domain: {', '.join(v for v, h in zip(values, hosts) if not h)}")
        return [h.removeprefix("www.") for h in hosts]

    def host_wanted(self, uri: str | None) -> bool:
        if not self.domains:
            return True
        host = (urlsplit(uri or "").hostname or "").rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def date_wanted(self, value: str | None) -> bool:
        """A date given (WARC-Date, then the page's published) on or after ``since``; an absent
        or unreadable one is not a reason to drop a page."""
        when = parse_date(value) if self.since else None
        return when is None or self.since is None or when >= self.since

    def wants(self, record: Record) -> str | None:
        """Why a page is not wanted, from its headers alone; None when it is."""
        if not self.host_wanted(record.uri):
            return "outside --domain"
        # A page cannot be published after it was fetched: fetched before --since, it is older.
        if not self.date_wanted(record.date):
            return "fetched before --since"
        return None


def skip_reason(record: Record, wanted: WarcFilter) -> str | None:
    """Why a readable record is no article for us, as the key it is counted under."""
    if record.type != "response":
        return f"{record.type} record"
    if record.status != 200:
        return f"HTTP status {record.status or 'unreadable'}"
    if not record.is_html:
        return "not HTML"
    return wanted.wants(record)


def origin_of(path: str, record: Record | None = None, offset: int | None = None) -> str:
    """``file@offset <uri>``: where a record is, and which page it held."""
    at = record.offset if record is not None else offset
    uri = f" <{record.uri}>" if record is not None and record.uri else ""
    return f"{path}@{at}{uri}"


def record_item(path: str, record: Record, wanted: WarcFilter, max_record_bytes: int) -> Item:
    """One record as what the pipeline takes: a RawDocument, or a Skipped, or a Failure."""
    origin = origin_of(path, record)
    if record.truncated:
        return Failure(origin=origin, stage="read", reason=record.truncated)
    reason = skip_reason(record, wanted)
    if reason:
        return Skipped(origin=origin, reason=reason)
    if len(record.payload or b"") > max_record_bytes:
        return Failure(origin=origin, stage="read", reason=(
            f"page is over the {max_record_bytes:,}-byte limit (NEWSWORKER_WARC__MAX_RECORD_BYTES): not read"))
    try:
        doc = read_html(origin, record.payload or b"", url=record.uri)
    except InputError as exc:
        return Failure(origin=exc.origin, stage="read", reason=exc.reason)
    if not wanted.date_wanted(doc.published):
        return Skipped(origin=origin, reason="published before --since")
    return doc.model_copy(update={"url": record.uri or doc.url, "fetched_at": parse_date(record.date)})


def read_warc(path: Path, roots: Sequence[Path], limits: WarcSettings, wanted: WarcFilter, *,
              span: tuple[int, int] | None = None, settle_seconds: float = 0.0,
              progress: Progress | None = None) -> Iterator[Item]:
    """Every record of the WARC file at ``path`` (under ``roots``) as an Item, streamed.
    ``span``: only the records beginning in [first, stop) byte offsets, ``first`` a record's."""
    origin = str(path)
    try:
        with open_regular(path, roots, settle_seconds) as handle:
            first, stop = span or (0, os.fstat(handle.fileno()).st_size)
            for found in _records(handle, origin, first, stop, limits, payloads=True):
                if isinstance(found, Failure):
                    yield found
                    continue
                yield record_item(origin, found, wanted, limits.max_record_bytes)
                if progress is not None:
                    progress(found.offset)
    except InputError as exc:
        yield Failure(origin=exc.origin, reason=exc.reason, stage="read")


def plan_chunks(path: Path, roots: Sequence[Path], limits: WarcSettings, wanted: WarcFilter,
                pages: int) -> list[tuple[int, int]]:
    """The file cut into spans of record offsets, each holding ``pages`` wanted HTML pages
    (the last fewer): a task each. Headers are read, payloads only passed over."""
    with open_regular(path, roots) as handle:
        size = os.fstat(handle.fileno()).st_size
        starts = [0]
        count = 0
        for found in _records(handle, str(path), 0, size, limits, payloads=False):
            if isinstance(found, Failure) or skip_reason(found, wanted):
                continue
            if count and count % pages == 0:
                starts.append(found.offset)
            count += 1
    return list(zip(starts, [*starts[1:], size]))


def _records(handle, origin: str, first: int, stop: int, limits: WarcSettings, payloads: bool):
    return records(handle, origin, first, stop, max_record_bytes=limits.max_record_bytes,
                   max_expansion=limits.max_expansion, payloads=payloads)
