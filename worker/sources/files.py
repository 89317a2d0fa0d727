"""File sources: text, HTML, JSON and NDJSON files, and folders of them, to RawDocuments.

Readers are generators of ``RawDocument | Failure`` so one bad record never hides the
rest of its file, and one bad file never stops the batch.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..models import Failure, RawDocument
from .decode import decode_text
from .html import read_html
from .local import read_regular
from .metadata import Overrides, read_sidecar, sidecar_path
from .warc_records import is_warc

TEXT_EXTENSIONS = {".txt", ".text"}
HTML_EXTENSIONS = {".html", ".htm", ".xhtml"}
JSON_EXTENSIONS = {".json"}
NDJSON_EXTENSIONS = {".ndjson", ".jsonl"}
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS | HTML_EXTENSIONS | JSON_EXTENSIONS | NDJSON_EXTENSIONS
SIDECAR_SUFFIX = ".meta.json"

BODY_KEYS = ("body", "text", "content", "article", "maintext")
PUBLISHED_KEYS = ("published", "published_at", "date", "date_publish", "pubDate", "datePublished")


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Failure]]:
    """Files to read, in a stable order: folders recursively by extension, sidecars skipped.

    A symbolic link inside a folder is followed only while it stays inside that folder;
    one that leaves it is refused by name.
    """
    files: list[Path] = []
    failures: list[Failure] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if _is_article_file(p, path)):
                if _stays_inside(found, path):
                    files.append(found)
                else:
                    failures.append(Failure(origin=str(found), stage="read", reason=(
                        f"symbolic link to {found.resolve()} leaves the folder {path}: not read")))
        elif path.is_file():
            files.append(path)
        elif path.exists():
            failures.append(Failure(origin=str(path), reason="not a regular file", stage="read"))
        else:
            failures.append(Failure(origin=str(path), reason="no such file or folder", stage="read"))
    return files, failures


def _is_article_file(path: Path, folder: Path) -> bool:
    # Hidden only below the folder asked for: "../news" or "~/.cache/news" are fine.
    hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
    return (
        not hidden
        and (path.suffix.lower() in SUPPORTED_EXTENSIONS or is_warc(path.name))
        and not path.name.endswith(SIDECAR_SUFFIX)
        and path.is_file()
    )


def named_roots(paths: Iterable[str | Path]) -> list[Path]:
    """What naming ``paths`` lets a reader read: a folder, or a file and its sidecar."""
    roots: list[Path] = []
    for raw in paths:
        path = Path(raw)
        roots.extend([path] if path.is_dir() else [path, sidecar_path(path)])
    return roots


def _stays_inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve(strict=True).is_relative_to(folder.resolve(strict=True))
    except (OSError, RuntimeError):
        return False


def read_file(
    path: Path, overrides: Overrides, max_bytes: int, *, roots: Sequence[Path], settle_seconds: float = 0.0,
    records: range | None = None,
) -> Iterator[RawDocument | Failure]:
    """Every document in one file, or a Failure naming the file (or record) and why.

    ``roots``: the folders it may be read from (the inbox folders, or what the operator
    named); the file and its sidecar must resolve inside one of them. ``records``: only the
    records at these positions (0-based, counting every non-blank record, good or not), for
    a long file split over several batches; the others are not even parsed.
    """
    wanted = records if records is not None else range(sys.maxsize)
    origin = str(path)
    if is_warc(path.name):  # a gigabyte of crawl is streamed record by record, never read whole here
        yield Failure(origin=origin, stage="read", reason=(
            "a WARC file: `newsworker ingest` reads it record by record (worker.sources.warc), not as one document"))
        return
    try:
        data = read_regular(path, roots, max_bytes, "NEWSWORKER_MAX_FILE_BYTES", settle_seconds)
        meta = _Provenance(overrides, read_sidecar(path, roots, max_bytes))
        suffix = path.suffix.lower()
        if suffix in NDJSON_EXTENSIONS:
            yield from _read_ndjson(origin, decode_text(origin, data), meta, wanted)
        elif suffix in JSON_EXTENSIONS:
            yield from _read_json(origin, decode_text(origin, data), meta, wanted)
        elif 0 not in wanted:
            return
        elif suffix in HTML_EXTENSIONS:
            yield meta.apply(read_html(origin, data))
        else:
            yield meta.apply(_text_document(origin, decode_text(origin, data)))
    except InputError as exc:
        yield Failure(origin=exc.origin, reason=exc.reason, stage="read")


class _Provenance:
    """CLI defaults fill what a document lacks; a sidecar overrides it."""

    def __init__(self, defaults: Overrides, sidecar: Overrides | None):
        self.defaults = defaults
        self.sidecar = sidecar

    def apply(self, doc: RawDocument) -> RawDocument:
        doc = self.defaults.apply(doc)
        return self.sidecar.apply(doc) if self.sidecar else doc


def _text_document(origin: str, text: str) -> RawDocument:
    if not text.strip():
        raise InputError(origin, "file is empty")
    return RawDocument(kind="text", origin=origin, text=text)


def _read_json(origin: str, text: str, meta: _Provenance, wanted: range) -> Iterator[RawDocument | Failure]:
    data = _parse_json(origin, text)
    records = data if isinstance(data, list) else data.get("articles", [data]) if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise InputError(origin, f"expected an object or a list of objects, got {type(data).__name__}")
    if not records:
        raise InputError(origin, "contains no articles")
    for number, record in enumerate(records, start=1):
        if number - 1 in wanted:
            yield _record_document(f"{origin}#{number}", record, meta)


def _read_ndjson(origin: str, text: str, meta: _Provenance, wanted: range) -> Iterator[RawDocument | Failure]:
    position = -1
    # Only "\n" ends a record: str.splitlines() would also split on U+2028 inside strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        position += 1
        if position not in wanted:
            if position >= wanted.stop:
                break
            continue
        record_origin = f"{origin}:{number}"
        try:
            record = _parse_json(record_origin, line)
        except InputError as exc:
            yield Failure(origin=exc.origin, reason=exc.reason, stage="read")
            continue
        yield _record_document(record_origin, record, meta)
    if position < 0:
        raise InputError(origin, "file is empty")


def _parse_json(origin: str, text: str) -> Any:
    if not text.strip():
        raise InputError(origin, "file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(origin, f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError(origin, "JSON is nested too deeply to be an article export") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits (sys.get_int_max_str_digits)
        raise InputError(origin, f"JSON could not be read: {str(exc).split(';')[0]}") from None


def _record_document(origin: str, record: Any, meta: _Provenance) -> RawDocument | Failure:
    try:
        return meta.apply(record_to_document(origin, record))
    except InputError as exc:
        return Failure(origin=exc.origin, reason=exc.reason, stage="read")


def record_to_document(origin: str, record: Any) -> RawDocument:
    """One exported article object (title, body/text/content, url, published, source)."""
    if not isinstance(record, dict):
        raise InputError(origin, f"expected a JSON object, got {type(record).__name__}")
    body = _first_string(record, BODY_KEYS)
    if not body or not body.strip():
        raise InputError(origin, f"no article text: none of {', '.join(BODY_KEYS)} is a non-empty string")
    authors = record.get("authors") or record.get("author") or []
    if isinstance(authors, str):
        authors = [authors]
    elif not isinstance(authors, list):  # a number, true, an object: not names
        authors = []
    return RawDocument(
        kind="json",
        origin=origin,
        text=body,
        title=_first_string(record, ("title", "headline")),
        standfirst=_first_string(record, ("standfirst", "description", "summary", "subtitle")),
        url=_first_string(record, ("url", "link")),
        source=_first_string(record, ("source", "source_domain", "outlet", "publisher")),
        published=_first_string(record, PUBLISHED_KEYS),
        authors=[a for a in authors if isinstance(a, str) and a.strip()],
    )


def _first_string(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key in PUBLISHED_KEYS:
            return str(value)
    return None
