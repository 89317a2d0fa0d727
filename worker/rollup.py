"""The events rollup: every article's event mentions, grouped into one record per fact.

Pure. A mention becomes a *fact*: a troop level (told as a level, "2,500 troops remain", or as
a change that ends at a level, "cut to 2,500"), a troop change with no stated result ("send
1,000 more"), or a casualty count. Facts of one kind about one place are clustered: same
actor (or one unknown), values within ``VALUE_TOLERANCE`` of each other, dates chained within
``DATE_WINDOW``. Mentions are sorted before clustering, so the records depend only on the
set of mentions, not on the order in which articles arrived: two workers indexing two
sources at once end with the same records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel

from .keys import bucket, slug
from .models import EventMention, EventRecord, EventReport, EventType, FactKind

DATE_WINDOW = timedelta(days=2)  # "published the same day or the next", with slack for time zones
VALUE_TOLERANCE = 0.05  # "some 2,480" and "2,500" are one figure; 2,500 and 3,000 are not

KIND_TYPE: dict[FactKind, EventType] = {"troops": "troop_level", "troop_change": "troop_level_change", "casualties": "casualties"}


class Mention(BaseModel):
    """An event mention with the article facts the rollup needs (what the store hands over)."""

    article_id: str
    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    duplicate_of: str | None = None
    event: EventMention


Group = tuple[FactKind, str | None, str | None]  # kind, measure, location: what one recompute covers


@dataclass(frozen=True)
class Fact:
    kind: FactKind
    measure: str | None
    actor: str | None
    location: str | None
    value: float
    date: datetime | None
    mention: Mention

    @property
    def group(self) -> Group:
        return (self.kind, self.measure, self.location)


def fact_of(mention: Mention) -> Fact | None:
    """The fact a mention reports, or None when it gives no number to compare."""
    e = mention.event
    date = e.date or mention.published_at
    if e.type == "troop_level" and e.value is not None:
        kind, value = "troops", e.value
    elif e.type == "troop_level_change" and e.to_value == 0 and e.from_value:
        kind, value = "troops", e.from_value  # "all 1,500 soldiers will leave": the force of 1,500
    elif e.type == "troop_level_change" and e.to_value is not None:
        kind, value = "troops", e.to_value  # "cut to 2,500" reports the level 2,500
    elif e.type == "troop_level_change" and (e.value is not None or e.delta is not None):
        kind, value = "troop_change", e.value if e.value is not None else abs(e.delta or 0)
    elif e.type == "casualties" and e.value is not None:
        kind, value = "casualties", e.value
    else:
        return None
    return Fact(kind, e.measure, e.actor, e.location, float(value), date, mention)  # type: ignore[arg-type]


def group_text(group: Group) -> str:
    """The group as one indexable string: kind|measure|location (location case-folded)."""
    kind, measure, location = group
    return f"{kind}|{measure or ''}|{(location or '').casefold()}"


def record_group(record: EventRecord) -> Group:
    """The recompute group a rolled-up record belongs to."""
    kind = next(k for k, t in KIND_TYPE.items() if t == record.type)
    return (kind, record.measure, record.location)


def record_types(record: EventRecord) -> list[str]:
    """The record's type and every framing, for filtering by type."""
    return sorted({record.type, *record.told_as})


def record_search_text(record: EventRecord) -> str:
    """What `newsworker events QUERY` matches: the summary and the reports' sentences."""
    return " ".join([record.summary, *(r.sentence for r in record.reports)])


def group_of(event: EventMention) -> Group | None:
    """The recompute group an article's event belongs to (the store gathers mentions by it)."""
    fact = fact_of(Mention(article_id="", event=event))
    return fact.group if fact is not None else None


@dataclass
class _Cluster:
    facts: list[Fact] = field(default_factory=list)

    @property
    def actor(self) -> str | None:
        return next((f.actor for f in self.facts if f.actor), None)

    def accepts(self, fact: Fact) -> bool:
        if self.actor and fact.actor and self.actor != fact.actor:
            return False
        anchor = self.facts[0].value
        if abs(fact.value - anchor) > VALUE_TOLERANCE * max(abs(anchor), abs(fact.value)):
            return False
        last = self.facts[-1].date
        if (last is None) != (fact.date is None):
            return False
        return last is None or fact.date is None or abs(fact.date - last) <= DATE_WINDOW


def roll_up(mentions: Iterable[Mention]) -> list[EventRecord]:
    """One EventRecord per fact, ordered by date then key."""
    facts = sorted((f for m in mentions if (f := fact_of(m)) is not None), key=_order)
    clusters: dict[Group, list[_Cluster]] = {}
    for fact in facts:
        groups = clusters.setdefault(fact.group, [])
        home = next((c for c in groups if c.accepts(fact)), None)
        if home is None:
            home = _Cluster()
            groups.append(home)
        home.facts.append(fact)
    records = [_record(c) for cs in clusters.values() for c in cs]
    return sorted(records, key=lambda r: (r.date.timestamp() if r.date else 0.0, r.key))


def _order(fact: Fact) -> tuple:
    return (fact.date.timestamp() if fact.date else float("-inf"), fact.value, fact.actor or "", fact.mention.article_id,
            fact.mention.event.sentence)


def rollup_key(kind: FactKind, measure: str | None, actor: str | None, location: str | None, value: float,
               date: datetime | None) -> str:
    """kind[-measure]:actor:location:value-bucket:first-date; the same facts give the same key."""
    head = f"{KIND_TYPE[kind]}-{measure}" if measure else KIND_TYPE[kind]
    day = date.strftime("%Y-%m-%d") if date else "-"
    return ":".join([head, slug(actor), slug(location), bucket(value), day])


def _record(cluster: _Cluster) -> EventRecord:
    first = cluster.facts[0]
    reports = sorted((_report(f) for f in cluster.facts), key=lambda r: (_ts(r.published_at), r.article_id, r.sentence))
    values = [f.value for f in cluster.facts]
    common = Counter(values).most_common()
    value = min(v for v, n in common if n == common[0][1])
    published = [r.published_at for r in reports if r.published_at]
    sources = list(dict.fromkeys(r.source for r in reports if r.source))
    told_as = sorted({f.mention.event.type for f in cluster.facts})
    record = EventRecord(
        key=rollup_key(first.kind, first.measure, cluster.actor, first.location, first.value, first.date),
        type=KIND_TYPE[first.kind],
        told_as=told_as,
        measure=first.measure,  # type: ignore[arg-type]
        actor=cluster.actor,
        location=first.location,
        date=first.date,
        value=value,
        values=sorted(set(values)),
        reports=reports,
        sources=sources,
        article_ids=sorted({r.article_id for r in reports}),
        first_seen=min(published) if published else None,
        last_seen=max(published) if published else None,
    )
    return record.model_copy(update={"summary": summary(record)})


def _report(fact: Fact) -> EventReport:
    m, e = fact.mention, fact.mention.event
    return EventReport(
        article_id=m.article_id, source=m.source, url=m.url, published_at=m.published_at, duplicate_of=m.duplicate_of,
        told_as=e.type, value=fact.value, from_value=e.from_value, to_value=e.to_value, date=fact.date, sentence=e.sentence,
    )


def _ts(value: datetime | None) -> float:
    return value.timestamp() if value else float("inf")


def summary(record: EventRecord) -> str:
    """"United States troop level in Iraq: 2,500, 15 Jan 2021"."""
    what = {"troop_level": "troop level", "troop_level_change": "troop change", "casualties": record.measure or "casualties"}[record.type]
    who = f"{record.actor} " if record.actor else ""
    where = f" in {record.location}" if record.location else ""
    amount = f"{record.value:,.0f}" if record.value is not None else "?"
    if len(record.values) > 1:
        amount += f" (reports: {', '.join(f'{v:,.0f}' for v in record.values)})"
    when = f", {record.date:%-d %b %Y}" if record.date else ""
    return f"{who}{what}{where}: {amount}{when}"
