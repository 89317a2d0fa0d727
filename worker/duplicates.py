"""Near-duplicates: wire copies and amp/non-amp twins, linked to one original.

Pure. Two bodies are near-duplicates when their word 3-shingles overlap enough: Jaccard
similarity at least ``JACCARD`` or one contained in the other at least ``CONTAINMENT``
(a copy that dropped a sentence), published within ``WINDOW`` of each other, and they
agree on what they report: the body figures' values and the countries of one are all in
the other (a copy may drop a sentence, it does not change a number or a country). Reports
written from one template ("France sends 1,100 troops to Chad" and "the US keeps 2,500
troops in Iraq") share most shingles and disagree on exactly those.

Candidates are pairs sharing a MinHash LSH band (``bands``: 20 bands of 3 rows, so pairs at
Jaccard 0.5 share a band 93% of the time and unrelated stories almost never), inside a batch
as against the store, so the work per batch grows with its copies, not with its size squared.
This module checks each candidate on the real shingles.

Groups are stars, never chains: in age order (earliest published, then the smallest id) each
article joins the oldest original it is itself near, or is an original. A copy is thus always
near its own original, however many near-copies of near-copies arrive, and the answer does not
depend on the order in which articles arrived.

Simhash (on the article) proved too coarse for short wire stories: dropping one sentence
of four moved it 17 of 64 bits, as far as some unrelated stories.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

JACCARD = 0.5
CONTAINMENT = 0.8
WINDOW = timedelta(days=7)
BAND_COUNT = 20
BAND_ROWS = 3
MIN_SHINGLES = 8  # below this a text is too short to call anything a copy of it
_PRIME = (1 << 31) - 1
_RNG = np.random.default_rng(20210115)  # fixed: bands must be the same in every process, forever
_A = _RNG.integers(1, _PRIME, BAND_COUNT * BAND_ROWS, dtype=np.uint64)
_B = _RNG.integers(0, _PRIME, BAND_COUNT * BAND_ROWS, dtype=np.uint64)
_WORD = re.compile(r"\w+", re.UNICODE)


class Signature(BaseModel):
    """What near-duplicate linking needs to know about a stored or incoming article."""

    model_config = ConfigDict(frozen=True, ignored_types=(cached_property,))

    id: str
    text: str
    published_at: datetime | None = None
    duplicate_of: str | None = None
    figures: frozenset[float] = frozenset()
    places: frozenset[str] = frozenset()

    @classmethod
    def of(cls, id: str, text: str, published_at: datetime | None = None, duplicate_of: str | None = None,
           figures: Iterable[Any] = (), entities: Iterable[Any] = ()) -> Signature:
        """From an article's parts; ``figures`` and ``entities`` as models or as stored JSON."""
        return cls(id=id, text=text, published_at=published_at, duplicate_of=duplicate_of,
                   figures=figure_values(figures), places=country_codes(entities))

    @cached_property
    def shingles(self) -> frozenset[int]:
        return shingles(self.text)

    @cached_property
    def bands(self) -> tuple[str, ...]:
        return tuple(bands_of(self.shingles))


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def figure_values(figures: Iterable[Any]) -> frozenset[float]:
    """The values the body's figures report (a headline is an outlet's own)."""
    return frozenset(float(v) for f in figures or () if (_get(f, "field") or "body") == "body"
                     and isinstance(v := _get(f, "value"), int | float))


def country_codes(entities: Iterable[Any]) -> frozenset[str]:
    return frozenset(code for e in entities or () if isinstance(code := _get(e, "iso_code"), str) and code)


def shingles(text: str) -> frozenset[int]:
    """Word 3-grams of the case-folded text, as 30-bit hashes."""
    words = _WORD.findall(text.casefold())
    grams = (" ".join(words[i : i + 3]) for i in range(max(0, len(words) - 2)))
    return frozenset(int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little") >> 2 for g in grams)


def bands(text: str) -> list[str]:
    """LSH band tokens ("7:3f2a...") of the text's MinHash; near-duplicates share at least one."""
    return bands_of(shingles(text))


def bands_of(found: frozenset[int]) -> list[str]:
    if len(found) < MIN_SHINGLES:
        return []
    values = np.fromiter(found, dtype=np.uint64)
    # (a*x + b) mod p for every permutation at once; a < 2^31 and x < 2^30 keep it inside 64 bits.
    mins = ((np.outer(_A, values) + _B[:, None]) % np.uint64(_PRIME)).min(axis=1)
    out = []
    for band in range(BAND_COUNT):
        rows = mins[band * BAND_ROWS : (band + 1) * BAND_ROWS].tobytes()
        out.append(f"{band}:{hashlib.blake2b(rows, digest_size=8).hexdigest()}")
    return out


def similarity(a: frozenset[int], b: frozenset[int]) -> tuple[float, float]:
    """(Jaccard, containment of the smaller in the larger)."""
    if not a or not b:
        return 0.0, 0.0
    common = len(a & b)
    return common / len(a | b), common / min(len(a), len(b))


def agree(a: Signature, b: Signature) -> bool:
    """Neither reports a figure or a country the other contradicts: one's are all in the other's."""
    return all(x <= y or y <= x for x, y in ((a.figures, b.figures), (a.places, b.places)))


def near(a: Signature, b: Signature, window: timedelta = WINDOW) -> bool:
    if a.published_at and b.published_at and abs(a.published_at - b.published_at) > window:
        return False
    if min(len(a.shingles), len(b.shingles)) < MIN_SHINGLES:
        return False
    jaccard, contained = similarity(a.shingles, b.shingles)
    return (jaccard >= JACCARD or contained >= CONTAINMENT) and agree(a, b)


def link(incoming: Sequence[Signature], originals: Iterable[Signature], window: timedelta = WINDOW) -> dict[str, str | None]:
    """``duplicate_of`` for every incoming article, and for every stored original that an
    older incoming copy demotes (the caller re-points that one's own copies too).

    ``originals`` are stored articles that are nobody's copy and share a band with the batch.
    Only pairs with an incoming article are compared: stored pairs were judged when they
    arrived, so the work per batch does not grow with the store.
    """
    batch = sorted({s.id: s for s in incoming}.values(), key=lambda s: s.id)
    batch_ids = {s.id for s in batch}
    stored = [s for s in {s.id: s for s in originals}.values() if s.id not in batch_ids]
    candidates = _candidates(batch, stored)
    chosen: dict[str, str | None] = {}
    for item in sorted([*batch, *stored], key=_age):
        older = sorted((c for c in candidates.get(item.id, ()) if c.id in chosen and chosen[c.id] is None), key=_age)
        chosen[item.id] = next((c.id for c in older if near(item, c, window)), None)
    return {s.id: chosen[s.id] for s in [*batch, *stored] if s.id in batch_ids or chosen[s.id] != s.duplicate_of}


def _candidates(batch: list[Signature], stored: list[Signature]) -> dict[str, list[Signature]]:
    """Who may be whose copy: batch pairs sharing a band, and every batch-stored pair (the stored
    ones were looked up by the batch's bands already)."""
    by_band: dict[str, list[Signature]] = {}
    for s in batch:
        for band in s.bands:
            by_band.setdefault(band, []).append(s)
    found: dict[str, dict[str, Signature]] = {s.id: {} for s in [*batch, *stored]}
    for members in by_band.values():
        for a in members:
            found[a.id].update((b.id, b) for b in members if b.id != a.id)
    for a in batch:
        for b in stored:
            found[a.id][b.id] = b
            found[b.id][a.id] = a
    return {k: list(v.values()) for k, v in found.items()}


def _age(s: Signature) -> tuple[int, float, str]:
    """Earliest published first; undated after dated; then by id."""
    return (0, s.published_at.timestamp(), s.id) if s.published_at else (1, 0.0, s.id)
