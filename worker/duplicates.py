"""Near-duplicates: wire copies and amp/non-amp twins, linked to one original.

Pure. Two bodies are near-duplicates when their word 3-shingles overlap enough: Jaccard
similarity at least ``JACCARD`` or one contained in the other at least ``CONTAINMENT``
(a copy that dropped a sentence), published within ``WINDOW`` of each other. Stores find
candidates by MinHash LSH bands (``bands``: 20 bands of 3 rows, so pairs at Jaccard 0.5 share
a band 93% of the time and unrelated stories almost never); this module checks each
candidate on the real shingles. The original of a group is the earliest published, then
the smallest id, so the answer does not depend on the order in which articles arrived.

Simhash (on the article) proved too coarse for short wire stories: dropping one sentence
of four moved it 17 of 64 bits, as far as some unrelated stories.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import cached_property

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

    @cached_property
    def shingles(self) -> frozenset[int]:
        return shingles(self.text)


def shingles(text: str) -> frozenset[int]:
    """Word 3-grams of the case-folded text, as 30-bit hashes."""
    words = _WORD.findall(text.casefold())
    grams = (" ".join(words[i : i + 3]) for i in range(max(0, len(words) - 2)))
    return frozenset(int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little") >> 2 for g in grams)


def bands(text: str) -> list[str]:
    """LSH band tokens ("7:3f2a...") of the text's MinHash; near-duplicates share at least one."""
    found = shingles(text)
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


def near(a: Signature, b: Signature, window: timedelta = WINDOW) -> bool:
    if a.published_at and b.published_at and abs(a.published_at - b.published_at) > window:
        return False
    if min(len(a.shingles), len(b.shingles)) < MIN_SHINGLES:
        return False
    jaccard, contained = similarity(a.shingles, b.shingles)
    return jaccard >= JACCARD or contained >= CONTAINMENT


def link(incoming: Sequence[Signature], originals: Iterable[Signature], window: timedelta = WINDOW) -> dict[str, str | None]:
    """``duplicate_of`` for every incoming article, and for every stored original that an
    older incoming copy demotes (the caller re-points that one's own copies too).

    ``originals`` are stored articles that are nobody's copy and share a band with the batch.
    Only pairs with an incoming article are compared: stored pairs were judged when they
    arrived, so the work per batch does not grow with the store.
    """
    batch = sorted({s.id: s for s in incoming}.values(), key=lambda s: s.id)
    batch_ids = {s.id for s in batch}
    stored = sorted((s for s in {s.id: s for s in originals}.values() if s.id not in batch_ids), key=lambda s: s.id)
    items = [*batch, *stored]
    parent = {s.id: s.id for s in items}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, a in enumerate(batch):
        for b in [*batch[i + 1 :], *stored]:
            if near(a, b, window):
                parent[find(a.id)] = find(b.id)
    groups: dict[str, list[Signature]] = {}
    for s in items:
        groups.setdefault(find(s.id), []).append(s)
    changes: dict[str, str | None] = {}
    for members in groups.values():
        original = min(members, key=_age)
        for s in members:
            wanted = None if s.id == original.id else original.id
            if s.id in batch_ids or wanted != s.duplicate_of:
                changes[s.id] = wanted
    return changes


def _age(s: Signature) -> tuple[int, float, str]:
    """Earliest published first; undated after dated; then by id."""
    return (0, s.published_at.timestamp(), s.id) if s.published_at else (1, 0.0, s.id)
