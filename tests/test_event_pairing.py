"""Cross-source pairing on a multi-source set (tests/data/events/): articles that report the same
real-world event must share a rollup key, and articles that do not, must not.

Runs the real pipeline: normalize -> Extractor -> rollup. Scored as precision and recall over
article pairs. ``pytest -s`` prints the numbers and every wrong pair.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from worker.models import Article
from worker.rollup import Mention, roll_up

DATA = Path(__file__).resolve().parent / "data" / "events"
TARGET_F1 = 0.9
# What the extractor does today, rounded down, minus a margin; raise it when pairing improves.
# Lowered from 0.93 by extractor 7, knowingly: a named site is now a place ("Tower 22"), so the
# one short item that names only the base ("the drone strike on Tower 22") no longer shares a
# record with the four that say "a base in Jordan". The rollup groups by exact location; pairing
# a site with the country it is in needs the mention to carry that country (not done yet).
FLOOR_F1 = 0.91


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def pairs_sharing(groups: dict[str, set[str]]) -> set[frozenset[str]]:
    """Article pairs that share at least one group (event id or key) -> the set of such pairs."""
    out: set[frozenset[str]] = set()
    for members in groups.values():
        out.update(frozenset(p) for p in itertools.combinations(sorted(members), 2))
    return out


def score(predicted: set, gold: set) -> tuple[float, float, float]:
    tp = len(predicted & gold)
    p = tp / len(predicted) if predicted else 1.0
    r = tp / len(gold) if gold else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def test_pairs_sharing_and_score():
    groups = {"E1": {"a", "b", "c"}, "E2": {"c", "d"}}
    assert pairs_sharing(groups) == {frozenset("ab"), frozenset("ac"), frozenset("bc"), frozenset("cd")}
    assert score({frozenset("ab")}, {frozenset("ab"), frozenset("cd")}) == (1.0, 0.5, 2 / 3)


@pytest.fixture(scope="module")
def extracted(extractor) -> list[Article]:
    from worker.models import RawDocument
    from worker.normalize import normalize

    docs = [normalize(RawDocument(kind="json", origin=a["id"], title=a["title"], text=a["text"], source=a["source"],
                                  url=a["url"], published=a["published"])) for a in load("articles.jsonl")]
    results = extractor.extract_many(docs)
    assert all(isinstance(r, Article) for r in results), [r for r in results if not isinstance(r, Article)]
    return results


def test_set_is_well_formed():
    events = {e["event"]: e for e in load("events.jsonl")}
    articles = load("articles.jsonl")
    assert len(events) >= 4 and len({a["id"] for a in articles}) == len(articles)
    told = {e: sum(e in a["events"] for a in articles) for e in events}
    assert sum(n >= 3 for n in told.values()) >= 4, told
    assert all(set(a["events"]) <= set(events) for a in articles)
    assert any(not a["events"] for a in articles)  # distractors


def test_pairing_precision_and_recall(extracted):
    articles = load("articles.jsonl")
    by_id = {a.origin: a for a in extracted}
    mentions = [Mention(article_id=a["id"], source=a["source"], url=a["url"], published_at=by_id[a["id"]].published_at,
                        event=event) for a in articles for event in by_id[a["id"]].events]
    records = roll_up(mentions)
    predicted = pairs_sharing({r.key: set(r.article_ids) for r in records})
    gold_groups: dict[str, set[str]] = {}
    for a in articles:
        for e in a["events"]:
            gold_groups.setdefault(e, set()).add(a["id"])
    gold = pairs_sharing(gold_groups)
    p, r, f1 = score(predicted, gold)
    print(f"\npairing: precision {p:.3f} recall {r:.3f} F1 {f1:.3f} "
          f"(gold pairs {len(gold)}, predicted {len(predicted)}, records {len(records)})")
    keys_of = {a["id"]: sorted(rec.key for rec in records if a["id"] in rec.article_ids) for a in articles}
    for pair in sorted(predicted - gold, key=sorted):
        x, y = sorted(pair)
        print(f"  wrong pair {x} {y}: {sorted(set(keys_of[x]) & set(keys_of[y]))}")
    for pair in sorted(gold - predicted, key=sorted):
        x, y = sorted(pair)
        print(f"  missed pair {x} {keys_of[x]} / {y} {keys_of[y]}")
    assert f1 >= FLOOR_F1, f"pairing F1 {f1:.3f} below floor {FLOOR_F1} (target {TARGET_F1})"
