"""Provenance that does not come from the document itself: CLI flags and sidecar files.

Precedence, most specific first: a sidecar ``<file>.meta.json``, then what the document
itself says (JSON fields), then the CLI flags given for the whole batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import InputError
from ..models import RawDocument
from .decode import decode_text
from .local import read_regular

SIDECAR_FIELDS = ("source", "published", "url", "title", "authors")


class Overrides(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str | None = None
    published: str | None = None
    url: str | None = None
    title: str | None = None
    authors: list[str] = []
    # Sidecar values beat the document's own; CLI defaults only fill gaps.
    authoritative: bool = False

    def apply(self, doc: RawDocument) -> RawDocument:
        updates = {}
        for name in SIDECAR_FIELDS:
            mine = getattr(self, name)
            if mine in (None, []):
                continue
            if self.authoritative or getattr(doc, name) in (None, []):
                updates[name] = mine
        return doc.model_copy(update=updates) if updates else doc


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def read_sidecar(path: Path, roots: Sequence[Path], max_bytes: int) -> Overrides | None:
    """The sidecar of ``path``, read like a document: from ``roots`` only, within ``max_bytes``."""
    meta = sidecar_path(path)
    if not meta.exists() and not meta.is_symlink():
        return None
    origin = str(meta)
    try:
        data = json.loads(decode_text(origin, read_regular(meta, roots, max_bytes, "NEWSWORKER_MAX_FILE_BYTES")))
    except InputError as exc:
        raise InputError(origin, f"unreadable sidecar metadata: {exc.reason}") from None
    except RecursionError:
        raise InputError(origin, "unreadable sidecar metadata: JSON nested too deeply") from None
    except ValueError as exc:  # malformed JSON, or an integer of more than 4,300 digits
        raise InputError(origin, f"unreadable sidecar metadata: {str(exc).split(';')[0]}") from None
    if not isinstance(data, dict):
        raise InputError(origin, "sidecar must be a JSON object")
    fields = {k: v for k, v in data.items() if k in SIDECAR_FIELDS}
    if isinstance(fields.get("authors"), str):
        fields["authors"] = [fields["authors"]]
    try:
        return Overrides(**fields, authoritative=True)
    except ValidationError as exc:
        raise InputError(origin, f"unreadable sidecar metadata: {exc}") from None
