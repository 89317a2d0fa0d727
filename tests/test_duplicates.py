"""Near-duplicate linking: shingle similarity, MinHash bands, one original per group whatever the order."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from worker.duplicates import Signature, bands, link, near, shingles, similarity

SEED = (Path(__file__).resolve().parents[1] / "seeds" / "000_5ac1f38a68824bea.txt").read_text(encoding="utf-8")
ARTICLES = Path(__file__).resolve().parent / "data" / "events" / "articles.jsonl"
DAY = datetime(2021, 1, 15, tzinfo=timezone.utc)

WIRE = SEED
COPY = SEED.replace("Mr Miller said", "Miller said") + "\nReporting by Jane Doe; editing by John Roe."
# A republished copy that drops the last third and rewords a name.
SHORT = "AMP: " + SEED[: 2 * len(SEED) // 3].replace("Washington", "The White House")
OTHER = ("Oil prices rose in Asian trade on Monday as traders weighed fresh supply cuts from producers, "
         "while a weaker dollar lifted demand for commodities priced in the currency across markets.")


def sig(id_, text, hours=0, duplicate_of=None) -> Signature:
    return Signature(id=id_, text=text, published_at=DAY + timedelta(hours=hours), duplicate_of=duplicate_of)


def test_copies_are_near_and_other_stories_are_not():
    assert near(sig("a", WIRE), sig("b", COPY)) and near(sig("a", WIRE), sig("c", SHORT))
    assert not near(sig("a", WIRE), sig("d", OTHER))
    jaccard, contained = similarity(shingles(WIRE), shingles(SHORT))
    assert jaccard < 0.8 and contained >= 0.8  # the shorter copy is found by containment


def test_copies_share_a_band_and_bands_are_stable():
    assert set(bands(WIRE)) & set(bands(COPY)) and set(bands(WIRE)) & set(bands(SHORT))
    assert bands(WIRE) == bands(WIRE) and len(bands(WIRE)) == 20
    assert bands("too short to judge") == []


def test_far_apart_in_time_is_not_a_copy():
    assert not near(sig("a", WIRE), sig("b", COPY, hours=24 * 30))


def test_original_is_the_earliest_whatever_the_arrival_order():
    articles = [sig("wire", WIRE, 0), sig("copy", COPY, 3), sig("short", SHORT, 1), sig("other", OTHER, 2)]
    expected = {"wire": None, "copy": "wire", "short": "wire", "other": None}
    for order in itertools.permutations(articles):
        assert link(list(order), []) == expected


def test_an_older_copy_arriving_later_demotes_the_stored_original():
    stored_originals = [sig("copy", COPY, 3)]
    assert link([sig("wire", WIRE, 0)], stored_originals) == {"wire": None, "copy": "wire"}


def test_a_newer_copy_joins_the_stored_original_which_is_not_rewritten():
    assert link([sig("short", SHORT, 1)], [sig("wire", WIRE, 0)]) == {"short": "wire"}


def test_an_incoming_article_near_two_stored_originals_joins_the_oldest():
    assert link([sig("copy", COPY, 3)], [sig("wire", WIRE, 0), sig("short", SHORT, 1)]) == {"copy": "wire"}


SENTENCES = [" ".join(f"word{i}x{j}" for j in range(8)) + "." for i in range(16)]  # no shingle in common


def test_near_copies_of_near_copies_do_not_chain():
    """a ~ b and b ~ c, but a is far from c: c is not hidden as a copy of a."""
    a, b, c = (" ".join(SENTENCES[i : i + 10]) for i in (0, 3, 6))
    assert near(sig("a", a), sig("b", b)) and near(sig("b", b), sig("c", c)) and not near(sig("a", a), sig("c", c))
    expected = {"a": None, "b": "a", "c": None}
    for order in itertools.permutations([sig("a", a, 0), sig("b", b, 1), sig("c", c, 2)]):
        assert link(list(order), []) == expected
    # in three batches, oldest first, the same
    assert link([sig("b", b, 1)], [sig("a", a, 0)]) == {"b": "a"}
    assert link([sig("c", c, 2)], [sig("a", a, 0)]) == {"c": None}


TEMPLATE = ("{country} will send {n} more troops to {place} next month, the defence ministry said on Friday, "
            "in a deployment that officials described as part of a long-running effort to train local forces "
            "and to protect bases used by the coalition. The ministry said the soldiers would stay for six "
            "months and that the decision followed talks with the government in the capital.")


def template(id_, country, n, place, code, hours=0):
    return Signature(id=id_, text=TEMPLATE.format(country=country, n=n, place=place), published_at=DAY + timedelta(hours=hours),
                     figures=frozenset({float(n.replace(",", ""))}), places=frozenset({code}))


def test_reports_from_one_template_that_disagree_on_figures_or_places_are_not_copies():
    iraq = template("iraq", "The US", "2,500", "Iraq", "IQ")
    chad = template("chad", "France", "1,100", "Chad", "TD", 1)
    same_text_other_place = Signature(id="mali", text=iraq.text, published_at=DAY, figures=iraq.figures, places=frozenset({"ML"}))
    assert similarity(iraq.shingles, chad.shingles)[0] >= 0.5  # the text alone would call it a copy
    assert not near(iraq, chad) and not near(iraq, same_text_other_place)
    assert link([chad], [iraq]) == {"chad": None}
    # a copy that drops a sentence (and its figure) still agrees
    shorter = Signature(id="short", text=iraq.text, published_at=DAY, figures=frozenset(), places=iraq.places)
    assert near(iraq, shorter)


def test_hundreds_of_template_reports_stay_apart_and_the_work_stays_bounded():
    import worker.duplicates as d

    reports = [template(f"r{i:03}", "Country", f"{1000 + i:,}", "Somewhere", "XX", i % 24) for i in range(450)]
    calls = []
    real = d.near
    d.near = lambda a, b, window=d.WINDOW: calls.append(1) or real(a, b, window)
    try:
        linked = link(reports, [])
    finally:
        d.near = real
    assert sum(v is not None for v in linked.values()) == 0
    assert len(calls) <= 450 * 449 // 2  # each pair at most once


def test_work_per_batch_does_not_grow_with_stored_pairs():
    """Stored articles are only compared with the batch, never with each other."""
    calls = []
    import worker.duplicates as d

    real = d.near
    d.near = lambda a, b, window=d.WINDOW: calls.append((a.id, b.id)) or real(a, b, window)
    try:
        link([sig("new", OTHER)], [sig(f"s{i}", WIRE, i) for i in range(30)])
    finally:
        d.near = real
    assert len(calls) == 30 and all("new" in pair for pair in calls)


def test_on_the_multi_source_set_only_the_wire_copies_pair():
    """Different outlets telling the same event in their own words are not copies."""
    articles = [json.loads(line) for line in ARTICLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    signatures = [Signature(id=a["id"], text=a["text"], published_at=a["published"]) for a in articles]
    linked = {k: v for k, v in link(signatures, []).items() if v}
    assert linked == {"a03": "a02", "a35": "a34"}
    candidates = {frozenset((x.id, y.id)) for x, y in itertools.combinations(signatures, 2)
                  if set(bands(x.text)) & set(bands(y.text))}
    assert candidates == {frozenset(("a02", "a03")), frozenset(("a34", "a35"))}
