"""Provenance that does not come from the document itself: CLI flags and sidecar files.

Precedence, most specific first: a sidecar ``<file>.meta.json``, then what the document
itself says (JSON fields), then the CLI flags given for the whole batch.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import InputError
from ..models import RawDocument

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


def read_sidecar(path: Path) -> Overrides | None:
    meta = sidecar_path(path)
    if not meta.is_file():
        return None
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise InputError(str(meta), "sidecar must be a JSON object")
        fields = {k: v for k, v in data.items() if k in SIDECAR_FIELDS}
        if isinstance(fields.get("authors"), str):
            fields["authors"] = [fields["authors"]]
        return Overrides(**fields, authoritative=True)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        raise InputError(str(meta), f"unreadable sidecar metadata: {exc}") from None
