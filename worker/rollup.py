"""The events rollup: every article's event mentions, grouped into one record per fact.

Pure. A mention becomes a *fact*: a troop level (told as a level, "2,500 troops remain", or as
a change that ends at a level, "cut to 2,500"), a troop change with no stated result ("send
1,000 more"), or a casualty count. Facts of one kind about one place are clustered: same
actor (or one unknown), values within ``VALUE_TOLERANCE`` of each other (``TOLL_TOLERANCE`` for
casualty counts the text dates to one attack day: a toll rises), dates chained within
``DATE_WINDOW`` (or a day inside a month or year another report said only) and spanning at most
``MAX_SPAN`` from the first. Mentions are sorted before
clustering, so the records depend only on the set of mentions, not on the order in which
articles arrived: two workers indexing two sources at once end with the same records.

A batch refreshes a ``Window`` of a group, not the whole group, so a worker's work and
memory per batch stay bounded however many reports a place gathers over the years. The
clustering runs in date order, so facts dated before ``since`` keep their clusters whatever
comes later; only clusters that began within ``MAX_SPAN`` before ``since`` can still take
facts from ``since`` on. Those are rebuilt from their stored records (``seed`` facts) and the
facts from ``since`` on are clustered again after them: the same records as a whole-group
recompute, from the mentions of at most ``2 * MAX_SPAN`` before ``since`` onwards.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from pydantic import BaseModel

from .keys import TimeRef, bucket, slug
from .models import EventMention, EventRecord, EventReport, EventType, FactKind

DATE_WINDOW = timedelta(days=2)  # "published the same day or the next", with slack for time zones
MAX_SPAN = timedelta(days=7)  # one telling of a fact; a level still reported weeks later is a new record
FIRST_REACH = timedelta(days=28)  # how far past a batch's latest date a refresh first reads
VALUE_TOLERANCE = 0.05  # "some 2,480" and "2,500" are one figure; 2,500 and 3,000 are not

# The toll of one attack rises as the days go by ("at least 100", then 120, then 139 dead): counts of
# the same measure at the same place dated to the same day of the attack are one fact within this.
TOLL_TOLERANCE = 0.35

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
    def time(self) -> TimeRef | None:
        e = self.mention.event
        if e.date is None:
            return TimeRef(self.date) if self.date else None
        return TimeRef(e.date, e.date_precision or "day", e.date_end)

    @property
    def group(self) -> Group:
        return (self.kind, self.measure, self.location)


def fact_of(mention: Mention) -> Fact | None:
    """The fact a mention reports, or None when it gives no number to compare."""
    e = mention.event
    # A count over a period ("52 killed since 2013") is a count as of its end: the same words a
    # year later are another count, not the same report.
    date = (e.date_end if e.date_precision == "period" else None) or e.date or mention.published_at
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
        tolerance = TOLL_TOLERANCE if _same_attack(self.facts[0], fact) else VALUE_TOLERANCE
        if abs(fact.value - anchor) > tolerance * max(abs(anchor), abs(fact.value)):
            return False
        first, last = self.facts[0].date, self.facts[-1].date
        if (last is None) != (fact.date is None):
            return False
        if last is None or fact.date is None or first is None:
            return True
        if fact.date - first > MAX_SPAN:
            return False  # (what keeps a windowed refresh equal to a whole recompute)
        # "in December 2020" and "on Dec. 4, 2020" tell one day of that month: a date said only to
        # the month or the year matches the days inside it.
        return abs(fact.date - last) <= DATE_WINDOW or any(_within(c, fact) or _within(fact, c) for c in self.facts)


def _same_attack(a: Fact, b: Fact) -> bool:
    """Two casualty counts the text dates to the day, a day apart at most: the attack's day, which
    outlets in other time zones or a day later give as "Saturday" or "on Oct. 29"."""
    ea, eb = a.mention.event, b.mention.event
    return (a.kind == "casualties" and b.kind == "casualties" and ea.date is not None and eb.date is not None
            and ea.date_precision in (None, "day") and eb.date_precision in (None, "day")
            and abs(ea.date - eb.date) <= timedelta(days=1))


def _within(coarse: Fact, fine: Fact) -> bool:
    """``fine``'s day lies in the month or year ``coarse`` was said to."""
    outer, inner = coarse.time, fine.time
    if outer is None or inner is None:
        return False
    if outer.precision == "month":
        return (outer.date.year, outer.date.month) == (inner.date.year, inner.date.month)
    return outer.precision == "year" and outer.date.year == inner.date.year


def roll_up(mentions: Iterable[Mention]) -> list[EventRecord]:
    """One EventRecord per fact, ordered by date then key."""
    by_group: dict[Group, list[_Cluster]] = {}
    for fact in sorted((f for m in mentions if (f := fact_of(m)) is not None), key=_order):
        _assign(fact, by_group.setdefault(fact.group, []))
    return _records(c for cs in by_group.values() for c in cs)


def _assign(fact: Fact, clusters: list[_Cluster]) -> None:
    """First fit: the earliest-begun cluster that accepts the fact, else a new one."""
    home = next((c for c in clusters if c.accepts(fact)), None)
    if home is None:
        home = _Cluster()
        clusters.append(home)
    home.facts.append(fact)


def _records(clusters: Iterable[_Cluster], taken: Iterable[str] = ()) -> list[EventRecord]:
    """The clusters' records, each with a key of its own: of two facts whose keys would meet (same
    actor, place, value to two figures and first day, yet two facts), the one begun first keeps
    the plain key and the other gets ``~`` and a digest of its first report. ``taken``: keys of
    stored records this refresh leaves as they are (all begun earlier)."""
    used = set(taken)
    records = []
    for cluster in sorted(clusters, key=lambda c: _order(c.facts[0])):
        record = _record(cluster)
        if record.key in used:
            digest = hashlib.sha1(repr(_fact_key(cluster.facts[0])).encode()).hexdigest()[:8]
            record = record.model_copy(update={"key": f"{record.key}~{digest}"})
        used.add(record.key)
        records.append(record)
    return sorted(records, key=lambda r: (r.date.timestamp() if r.date else 0.0, r.key))


def _order(fact: Fact) -> tuple:
    return (fact.date.timestamp() if fact.date else float("-inf"), fact.value, fact.actor or "", fact.mention.article_id,
            fact.mention.event.sentence)


def rollup_key(kind: FactKind, measure: str | None, actor: str | None, location: str | None, value: float,
               time: TimeRef | None) -> str:
    """kind[-measure]:actor:location:value-bucket:first-date, the date as precise as the text
    said it (2021-01-15, 2020-11, 2011, 2003-01-01/2021-01-15); the same facts give the same key."""
    head = f"{KIND_TYPE[kind]}-{measure}" if measure else KIND_TYPE[kind]
    day = time.key() if time else "-"
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
        key=rollup_key(first.kind, first.measure, cluster.actor, first.location, first.value, first.time),
        type=KIND_TYPE[first.kind],
        told_as=told_as,
        measure=first.measure,  # type: ignore[arg-type]
        actor=cluster.actor,
        location=first.location,
        date=first.date,
        date_precision=first.time.precision if first.time else None,
        date_end=first.time.end if first.time else None,
        period_start=first.time.date if first.time and first.time.precision == "period" else None,
        value=value,
        values=sorted(set(values)),
        reports=reports,
        sources=sources,
        article_ids=sorted({r.article_id for r in reports}),
        first_seen=min(published) if published else None,
        last_seen=max(published) if published else None,
    )
    return record.model_copy(update={"summary": summary(record)})


def record_time(record: EventRecord) -> TimeRef:
    """The record's time as precise as its first report said it (a period from its start)."""
    assert record.date is not None
    start = record.period_start if record.date_precision == "period" and record.period_start else record.date
    return TimeRef(start, record.date_precision or "day", record.date_end)


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
    when = f", {record_time(record).render()}" if record.date else ""
    return f"{who}{what}{where}: {amount}{when}"


# -- refreshing part of a group ----------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """What one refresh of a group covers: its dated facts from ``since`` (all of them when
    ``since`` is None) until ``until`` (open when None) when ``dated``, and its undated facts
    when ``undated``. ``latest`` is the latest date the batch changed.

    The store reads the mentions with a fact date in [``facts_from``, ``until``) and the stored
    records dated in [``records_from``, ``until``); it replaces the records dated in
    [``facts_from``, ``replace_until``) (and the undated ones).
    """

    group: Group
    since: datetime | None = None
    latest: datetime | None = None
    until: datetime | None = None
    dated: bool = True
    undated: bool = True

    @property
    def facts_from(self) -> datetime | None:
        return self.since - MAX_SPAN if self.since and self.dated else None

    @property
    def records_from(self) -> datetime | None:
        return self.since - 2 * MAX_SPAN if self.since and self.dated else None

    @property
    def replace_until(self) -> datetime | None:
        """Clusters begun from here on were found unchanged (the refresh caught up with the stored ones)."""
        return self.until - MAX_SPAN if self.until else None

    def whole(self) -> "Window":
        return Window(self.group, dated=self.dated, undated=self.undated)

    def up_to(self, until: datetime | None) -> "Window":
        return replace(self, until=until)


def whole_groups(groups: Iterable[Group]) -> list[Window]:
    """Windows over every fact of these groups (what reindex and rollback refresh)."""
    return [Window(g) for g in sorted(set(groups), key=group_text)]


def windows_of(mentions: Iterable[Mention]) -> list[Window]:
    """The windows a batch's mentions (new ones and those they replace) touch: per group, one
    for each run of their dates (dates more than ``FIRST_REACH`` apart, such as a report of an
    old event among today's news, get windows of their own), and one for its undated part."""
    dates: dict[Group, list[datetime | None]] = {}
    for m in mentions:
        if (fact := fact_of(m)) is not None:
            dates.setdefault(fact.group, []).append(fact.date)
    windows = []
    for group, found in sorted(dates.items(), key=lambda item: group_text(item[0])):
        runs: list[list[datetime]] = []
        for date in sorted(d for d in found if d is not None):
            if runs and date - runs[-1][-1] <= FIRST_REACH:
                runs[-1].append(date)
            else:
                runs.append([date])
        windows += [Window(group, run[0], run[-1], undated=False) for run in runs]
        if None in found:
            windows.append(Window(group, dated=False))
    return windows


def in_window(window: Window, fact: Fact) -> bool:
    if fact.group != window.group:
        return False
    if fact.date is None:
        return window.undated
    if not window.dated:
        return False
    return (window.facts_from is None or fact.date >= window.facts_from) and (window.until is None or fact.date < window.until)


def roll_up_window(window: Window, mentions: Iterable[Mention],
                   stored: Sequence[EventRecord]) -> tuple[list[EventRecord], bool] | None:
    """The records of ``window`` (those that replace the stored ones dated in [``facts_from``,
    ``replace_until``), and the undated ones) from the mentions and stored records the window
    names, and whether the refresh caught up with the stored clusters before ``until`` (else the
    caller widens the window). None when the stored records do not account for the facts
    before ``since`` (a refresh that never ran, another writer's batch in between): then only
    a whole-group recompute is right."""
    facts = sorted((f for m in mentions if (f := fact_of(m)) is not None and in_window(window, f)), key=_order)
    undated: list[_Cluster] = []
    for fact in facts:
        if fact.date is None:
            _assign(fact, undated)
    since = window.since if window.dated else None
    dated: list[_Cluster] = []
    if since is not None:
        seeded = _seeds(since, [f for f in facts if f.date is not None and f.date < since], stored)
        if seeded is None:
            return None
        dated = seeded
    for fact in facts:
        if fact.date is not None and (since is None or fact.date >= since):
            _assign(fact, dated)
    cut = window.replace_until
    start = window.facts_from
    kept = [r.key for r in stored if r.date is not None and start is not None
            and (r.date < start or (cut is not None and r.date >= cut))]
    if cut is None:
        return _records([*undated, *dated], kept), True
    settled = window.latest is not None and window.latest < cut and _caught_up(dated, stored, cut)
    return _records([*undated, *(c for c in dated if c.facts[0].date < cut)], kept), settled


def _caught_up(clusters: list[_Cluster], stored: Sequence[EventRecord], cut: datetime) -> bool:
    """Whether the clusters begun from ``cut`` on (the only ones still open at ``cut + MAX_SPAN``,
    i.e. at ``until``) hold the same facts as the stored records begun from ``cut``: then every
    later fact lands where it already is, and the stored records from ``cut`` on stand."""
    mine = sorted(sorted(_fact_key(f) for f in c.facts) for c in clusters if c.facts[0].date >= cut)
    theirs = sorted(sorted(_key_of(r) for r in record.reports if r.date is not None and r.date < cut + MAX_SPAN)
                    for record in stored if record.date is not None and record.date >= cut)
    return mine == theirs


def _seeds(since: datetime, before: list[Fact], stored: Sequence[EventRecord]) -> list[_Cluster] | None:
    """The clusters begun within MAX_SPAN before ``since``, holding their facts dated before it
    (``before``, sorted), in the order they began; None when ``before`` and ``stored`` disagree."""
    owner: dict[tuple, list[int]] = {}
    for index, record in enumerate(stored):
        for report in record.reports:
            if report.date is not None and since - MAX_SPAN <= report.date < since:
                owner.setdefault(_key_of(report), []).append(index)
    clusters: dict[int, _Cluster] = {}
    for fact in before:
        owners = owner.get(_fact_key(fact))
        if not owners:
            return None
        index = owners.pop()
        record = stored[index]
        if record.date is not None and record.date >= since - MAX_SPAN:
            clusters.setdefault(index, _Cluster()).facts.append(fact)
    if any(owners for owners in owner.values()):
        return None  # a stored report whose fact is gone
    return sorted(clusters.values(), key=lambda c: _order(c.facts[0]))


def _key_of(report: EventReport) -> tuple:
    return (report.article_id, report.told_as, report.value, report.date.timestamp() if report.date else None,
            report.sentence)


def _fact_key(fact: Fact) -> tuple:
    e = fact.mention.event
    return (fact.mention.article_id, e.type, fact.value, fact.date.timestamp() if fact.date else None, e.sentence)


WIDENINGS = 4  # then twice as far each time, and at last to the end of the group


def recompute(window: Window, mentions_of: Callable[[Window], list[Mention]],
              records_of: Callable[[Window], list[EventRecord]]) -> tuple[Window, list[EventRecord]]:
    """The window actually recomputed and its records: what the store then writes in place of the
    window's stored records. Reads from ``since`` a little past the batch's latest date, and
    further only while the refresh has not caught up with the stored clusters; the whole group
    when the stored records cannot seed it."""
    if window.since is not None and window.dated and window.latest is not None:
        for reach in [*(FIRST_REACH * 2 ** n for n in range(WIDENINGS + 1)), None]:
            attempt = window.up_to(window.latest + reach if reach else None)
            found = roll_up_window(attempt, mentions_of(attempt), records_of(attempt))
            if found is None:
                break
            records, settled = found
            if settled or reach is None:
                return attempt, records
    window = window.whole()
    found = roll_up_window(window, mentions_of(window), [])
    assert found is not None  # nothing to seed from, nothing to disagree with
    return window, found[0]
