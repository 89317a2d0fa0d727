"""The records of a WARC file, streamed with warcio: offset, headers and (for an HTML page)
its payload, one record at a time.

Only the record being read is in memory, and of it at most ``max_record_bytes`` of payload:
a CC-NEWS file of a gigabyte is read in flat memory. A record that cannot be read is a
Failure naming its offset, and reading goes on at the next record that can be found (the
next gzip member of a ``.warc.gz``, the next ``WARC/1.x`` line of a ``.warc``): a file is
read as far as it can be.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataException
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException

from ..models import Failure

WARC_SUFFIXES = (".warc", ".warc.gz")
HTML_TYPES = ("text/html", "application/xhtml+xml")
BLOCK = 64 * 1024
# What a gzip member may decompress to before the file's expansion is checked: a small file of
# a few repetitive pages compresses well beyond any ratio a large one reaches.
EXPANSION_SLACK = 4 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_LINE = b"WARC/1."
# What warcio and zlib raise on a record that is not one (bad header, bad gzip, bad chunking).
READ_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, ChunkedDataException, zlib.error,
               EOFError, ValueError, KeyError, IndexError, UnicodeDecodeError)


def is_warc(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


@dataclass(frozen=True)
class Record:
    """One WARC record as far as the pipeline needs it."""

    offset: int
    type: str
    uri: str | None
    date: str | None
    status: int | None = None
    content_type: str | None = None
    payload: bytes | None = None  # an HTML page's body, decoded; at most max_record_bytes + 1
    truncated: str | None = None  # why the record is shorter than its header says

    @property
    def is_html(self) -> bool:
        media = (self.content_type or "").split(";")[0].strip().lower()
        return media in HTML_TYPES

    @property
    def is_page(self) -> bool:
        """A response with an HTML page: what may become an article."""
        return self.type == "response" and self.status == 200 and self.is_html


class CorruptRecordError(ValueError):
    """A record whose headers do not say where it ends."""


class GzipBombError(Exception):
    """The file decompresses past its allowed expansion: reading stops."""


class _Budget:
    """Decompressed bytes read against the compressed bytes they came from."""

    def __init__(self, handle: BinaryIO, start: int, expansion: float | None):
        self.handle, self.start, self.expansion, self.spent = handle, start, expansion, 0

    def spend(self, count: int) -> None:
        self.spent += count
        if self.expansion is None:
            return
        allowed = self.expansion * max(self.handle.tell() - self.start, 1) + EXPANSION_SLACK
        if self.spent > allowed:
            raise GzipBombError(
                f"decompresses to over {self.expansion:g} times its size ({self.spent:,} bytes from "
                f"{self.handle.tell() - self.start:,}): a gzip bomb, or raise NEWSWORKER_WARC__MAX_EXPANSION; "
                "the rest of the file is not read")


def records(handle: BinaryIO, origin: str, start: int, stop: int, *, max_record_bytes: int, max_expansion: float,
            payloads: bool = True) -> Iterator[Record | Failure]:
    """The records of the open WARC file that begin in [start, stop), ``start`` being the
    offset of a record. ``payloads=False``: headers only (planning a file's chunks)."""
    gzipped = _is_gzip(handle, start)
    stop = min(stop, os.fstat(handle.fileno()).st_size)
    budget = _Budget(handle, start, max_expansion if gzipped else None)
    offset: int | None = start
    lost = False  # inside an unreadable stretch: the failure is said once, at its start
    while offset is not None and offset < stop:
        handle.seek(offset)
        iterator = ArchiveIterator(handle, block_size=BLOCK)
        at = offset
        read_from = offset  # the start of the last record read whole: the search resumes past it
        try:
            for record in iterator:
                at = iterator.offset
                if at >= stop:
                    return
                yield _record(record, at, max_record_bytes, budget, payloads)
                read_from = at
                lost = False
            if iterator.offset >= stop:
                return
            # warcio stops quietly at a record it cannot even begin (a gzip member cut short):
            # bytes are left that no record was read from.
            at = iterator.offset
            if not lost:
                yield Failure(origin=f"{origin}@{at}", stage="read", reason=(
                    f"truncated or unreadable record: {stop - at:,} bytes from here hold no whole record"
                    "; reading goes on at the next record found"))
            lost = True
            offset = _next_start(handle, at + 1, stop, gzipped)
        except GzipBombError as exc:
            yield Failure(origin=f"{origin}@{at}", stage="read", reason=str(exc))
            return
        except READ_ERRORS as exc:
            # Past the last record yielded: where warcio was when the record failed.
            at = max(at, iterator.offset)
            if not lost and at < stop:
                yield Failure(origin=f"{origin}@{at}", stage="read", reason=_unreadable(exc, gzipped))
            lost = True
            # Not past where warcio gave up: a gzip member cut short is inflated on into the next
            # member's bytes before the error shows, and that next record would be skipped.
            offset = _next_start(handle, max(read_from, offset) + 1, stop, gzipped)


def _record(record, at: int, max_record_bytes: int, budget: _Budget, payloads: bool) -> Record:
    headers = record.rec_headers
    length = headers.get_header("Content-Length")
    if not (length or "").strip().isdigit():
        # Without it warcio would take the rest of the file for this record's content.
        raise CorruptRecordError(f"no valid Content-Length in the WARC header (got {length!r})")
    raw = record.raw_stream
    declared = getattr(raw, "limit", 0)
    status = content_type = payload = None
    if record.rec_type == "response" and record.http_headers is not None:
        code = record.http_headers.get_statuscode()
        status = int(code) if code and code.isdigit() else None
        content_type = record.http_headers.get_header("Content-Type")
    found = Record(offset=at, type=record.rec_type, uri=headers.get_header("WARC-Target-URI"),
                   date=headers.get_header("WARC-Date"), status=status, content_type=content_type)
    if payloads and found.is_page:
        payload = record.content_stream().read(max_record_bytes + 1)
    budget.spend(declared - getattr(raw, "limit", 0))
    while block := raw.read(BLOCK):  # the rest, read to reach the next record, counted
        budget.spend(len(block))
    missing = getattr(raw, "limit", 0)
    truncated = f"truncated: {missing:,} bytes of the record missing (the file ends, or its gzip member does)" \
        if missing else None
    return Record(**{**found.__dict__, "payload": payload, "truncated": truncated})


def _is_gzip(handle: BinaryIO, start: int) -> bool:
    handle.seek(start)
    return handle.read(2) == _GZIP_MAGIC[:2]


def _unreadable(exc: Exception, gzipped: bool) -> str:
    what = "record or gzip member" if gzipped else "record"
    # warcio quotes the line it could not read: binary garbage, when a gzip member is corrupt.
    detail = "".join(c if c.isascii() and c.isprintable() else "?" for c in str(exc).strip()[:120]) or "no detail"
    return f"unreadable {what} ({type(exc).__name__}: {detail[:200]}); reading goes on at the next record found"


def _next_start(handle: BinaryIO, offset: int, stop: int, gzipped: bool) -> int | None:
    """The offset of the next thing that looks like a record start at or after ``offset``
    (and before ``stop``): a gzip member's magic, or a WARC version line after a line break."""
    marker = _GZIP_MAGIC if gzipped else b"\n" + _WARC_LINE
    skip = 0 if gzipped else 1
    handle.seek(offset)
    carry = b""
    position = offset
    while position < stop:
        block = handle.read(BLOCK)
        if not block:
            return None
        window = carry + block
        found = window.find(marker)
        if found >= 0:
            start = position - len(carry) + found + skip
            return start if start < stop else None
        carry = window[-(len(marker) - 1):]
        position += len(block)
    return None
