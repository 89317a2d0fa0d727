"""The events rollup: mentions from many articles -> one record per fact, order-independent."""

from __future__ import annotations

import random

import pytest
from datetime import datetime, timedelta, timezone

from worker.models import EventMention
from worker.rollup import (Mention, Window, fact_of, in_window, record_group, recompute, roll_up, roll_up_window,
                            rollup_key, windows_of)

JAN_15 = datetime(2021, 1, 15, 12, tzinfo=timezone.utc)


def mention(article, type="troop_level", value=None, *, actor="United States", location="Iraq", source=None,
            hours=0, to_value=None, from_value=None, delta=None, measure=None, date=None) -> Mention:
    published = JAN_15 + timedelta(hours=hours)
    event = EventMention(type=type, key="k", actor=actor, location=location, value=value, to_value=to_value,
                         from_value=from_value, delta=delta, measure=measure, date=date or published, sentence=f"{article} says")
    return Mention(article_id=article, source=source or article.upper(), published_at=published, event=event)


SAME_FACT = [
    mention("reuters", "troop_level_change", to_value=2500, from_value=3000),  # "reduced to 2,500"
    mention("ap", "troop_level_change", value=500, to_value=2500, from_value=3000, hours=2),  # "cut by 500 to 2,500"
    mention("bbc", "troop_level", 2500, hours=13),  # "2,500 US service members remain", next day
    mention("blog", "troop_level", 2480, actor=None, hours=20),  # "some 2,480 troops"
]
OTHERS = [
    mention("afg", "troop_level", 2500, location="Afghanistan"),
    mention("later", "troop_level", 2500, date=datetime(2024, 9, 1, tzinfo=timezone.utc)),
    mention("kill", "casualties", 4500, measure="killed"),
    mention("send", "troop_level_change", value=1000, location="Poland"),
]


def test_differently_told_reports_of_one_level_are_one_record():
    records = roll_up(SAME_FACT + OTHERS)
    iraq_2021 = [r for r in records if r.location == "Iraq" and r.type == "troop_level" and r.date.year == 2021]
    assert len(iraq_2021) == 1
    record = iraq_2021[0]
    assert record.article_ids == ["ap", "bbc", "blog", "reuters"]
    assert record.sources == ["REUTERS", "AP", "BBC", "BLOG"]  # in publication order
    assert record.values == [2480, 2500] and record.value == 2500  # disagreement kept, most common shown
    assert record.told_as == ["troop_level", "troop_level_change"]
    assert record.actor == "United States"
    assert record.key == "troop_level:united-states:iraq:2500:2021-01-15"
    assert record.summary == "United States troop level in Iraq: 2,500 (reports: 2,480, 2,500), 15 Jan 2021"


def test_other_place_other_year_other_kind_are_separate():
    records = roll_up(SAME_FACT + OTHERS)
    keys = {r.key for r in records}
    assert len(records) == 5
    assert "troop_level:united-states:afghanistan:2500:2021-01-15" in keys
    assert "troop_level:united-states:iraq:2500:2024-09-01" in keys
    assert "casualties-killed:united-states:iraq:4500:2021-01-15" in keys
    assert "troop_level_change:united-states:poland:1000:2021-01-15" in keys


def test_order_of_arrival_does_not_matter():
    everything = SAME_FACT + OTHERS
    expected = roll_up(everything)
    rng = random.Random(7)
    for _ in range(20):
        shuffled = everything[:]
        rng.shuffle(shuffled)
        assert roll_up(shuffled) == expected


def test_dates_chain_within_the_window_and_break_beyond_it():
    chain = [mention(f"a{i}", "troop_level", 2500, hours=30 * i) for i in range(3)]  # 0h, 30h, 60h
    assert len(roll_up(chain)) == 1
    apart = [mention("x", "troop_level", 2500), mention("y", "troop_level", 2500, hours=24 * 5)]
    assert len(roll_up(apart)) == 2


def test_two_known_actors_never_merge():
    records = roll_up([mention("us", "troop_level", 1000, location="Syria"),
                       mention("ru", "troop_level", 1000, location="Syria", actor="Russia")])
    assert {r.actor for r in records} == {"United States", "Russia"}


def test_values_far_apart_are_two_facts():
    assert len(roll_up([mention("a", "troop_level", 2500), mention("b", "troop_level", 3000)])) == 2


def test_mentions_without_a_number_are_not_facts():
    assert fact_of(mention("a", "troop_level_change")) is None
    assert roll_up([mention("a", "troop_level_change")]) == []


def test_change_without_result_is_a_change_fact_by_its_amount():
    fact = fact_of(mention("a", "troop_level_change", delta=-12000, location="Germany"))
    assert (fact.kind, fact.value) == ("troop_change", 12000)


def test_key_format():
    assert rollup_key("casualties", "injured", None, "Kabul", 150, None) == "casualties-injured:-:kabul:150:-"


def test_a_fact_reported_day_after_day_starts_a_new_record_after_max_span():
    daily = [mention(f"d{i}", "troop_level", 2500, hours=24 * i) for i in range(10)]
    records = roll_up(daily)
    assert [len(r.reports) for r in records] == [8, 2]  # days 0-7 (within MAX_SPAN of day 0), then 8-9
    assert records[1].date - records[0].date == timedelta(days=8)


# -- incremental refresh: the same records as a whole-group recompute -------------------


class _Rollup:
    """A store reduced to what a refresh touches: mentions, and records replaced per window."""

    def __init__(self):
        self.mentions: list[Mention] = []
        self.records: list = []
        self.seen_by_window: list[int] = []
        self.whole_recomputes = 0

    def mentions_of(self, window: Window) -> list[Mention]:
        found = [m for m in self.mentions if (f := fact_of(m)) is not None and in_window(window, f)]
        self.seen_by_window.append(len(found))
        return found

    def records_of(self, window: Window) -> list:
        return self._dated_in(window, window.records_from, window.until)

    def _dated_in(self, window, since, until) -> list:
        def inside(record) -> bool:
            if record.date is None:
                return window.undated
            return window.dated and (since is None or record.date >= since) and (until is None or record.date < until)

        return [r for r in self.records if record_group(r) == window.group and inside(r)]

    def refresh(self, changed: list[Mention]) -> None:
        for asked in windows_of(changed):
            window, records = recompute(asked, self.mentions_of, self.records_of)
            self.whole_recomputes += window.since is None and asked.since is not None
            gone = {r.key for r in self._dated_in(window, window.facts_from, window.replace_until)}
            self.records = [r for r in self.records if r.key not in gone] + records


def _random_mentions(rng: random.Random, count: int) -> list[Mention]:
    out = []
    for n in range(count):
        base = rng.choice([1000, 1260, 1340, 2500, 3000])  # 1,260 and 1,340: two facts, one key to two figures
        out.append(mention(f"a{n:03d}", "troop_level", base + rng.choice([0, 0, 0, 20, -30, 200]),
                           actor=rng.choice(["United States", "United States", None, "Russia"]),
                           location=rng.choice(["Iraq", "Iraq", "Syria"]), hours=rng.randint(0, 24 * 40)))
    return out


def mention_undated(m: Mention) -> Mention:
    return m.model_copy(update={"published_at": None, "event": m.event.model_copy(update={"date": None})})


def _random_tolls(rng: random.Random, count: int) -> list[Mention]:
    """Casualty counts of a few attacks, rising over the days, some dated only to the month."""
    out = []
    for n in range(count):
        hours = rng.randint(0, 24 * 40)
        m = mention(f"t{n:03d}", "casualties", rng.choice([100, 120, 139, 300]), actor=None, measure="killed",
                    location=rng.choice(["Mogadishu", "Kabul"]), hours=hours)
        if rng.random() < 0.2:
            first = m.event.date.replace(day=1, hour=0)
            m = m.model_copy(update={"event": m.event.model_copy(update={"date": first, "date_precision": "month"})})
        out.append(m)
    return out


@pytest.mark.parametrize("make", [_random_mentions, _random_tolls], ids=["levels", "tolls"])
def test_refreshing_windows_batch_by_batch_gives_the_whole_recompute(make):
    for seed in range(12):
        rng = random.Random(seed)
        every = [mention_undated(m) if rng.random() < 0.1 else m for m in make(rng, 120)]
        if seed % 2:
            every.sort(key=lambda m: m.published_at or JAN_15)  # news arriving as published
        else:
            rng.shuffle(every)  # a backfill in any order
        store = _Rollup()
        for start in range(0, len(every), 15):
            batch = every[start:start + 15]
            store.mentions += batch
            store.refresh(batch)
        # an update moves one report elsewhere: its old window and its new one are refreshed
        old = store.mentions[3]
        new = old.model_copy(update={"event": old.event.model_copy(update={"value": 9999})})
        store.mentions[3] = new
        store.refresh([old, new])
        expected = roll_up(store.mentions)
        assert sorted(store.records, key=lambda r: r.key) == sorted(expected, key=lambda r: r.key), seed
        assert store.whole_recomputes == 0  # every batch was refreshed from its window and the stored records


def test_news_in_date_order_reads_only_the_recent_part_of_a_group():
    store = _Rollup()
    daily = [mention(f"day{d}-{i}", "troop_level", 2500 + 100 * i, hours=24 * d) for d in range(60) for i in range(5)]
    for day in range(60):
        batch = daily[day * 5:(day + 1) * 5]
        store.mentions += batch
        store.seen_by_window.clear()
        store.refresh(batch)
    assert max(store.seen_by_window) <= 5 * 8  # the last MAX_SPAN (7 days) and the batch's day, not 300
    assert sorted(store.records, key=lambda r: r.key) == sorted(roll_up(store.mentions), key=lambda r: r.key)


def test_records_that_miss_a_fact_make_the_refresh_recompute_the_whole_group():
    store = _Rollup()
    first = [mention("a", "troop_level", 2500), mention("b", "troop_level", 2500, hours=30)]
    store.mentions += first
    store.refresh(first)
    store.records = []  # the refresh after some batch never ran
    late = [mention("c", "troop_level", 2500, hours=50)]
    store.mentions += late
    window = windows_of(late)[0]
    window = window.up_to(None)
    assert roll_up_window(window, store.mentions_of(window), store.records_of(window)) is None
    store.refresh(late)
    assert store.whole_recomputes == 1
    assert [r.article_ids for r in store.records] == [["a", "b", "c"]]


def test_a_late_report_of_an_old_date_reads_up_to_where_the_clusters_catch_up():
    store = _Rollup()
    daily = [mention(f"day{d}-{i}", "troop_level", 2500 + 100 * i, hours=24 * d) for d in range(90) for i in range(5)]
    for day in range(90):
        store.mentions += daily[day * 5:(day + 1) * 5]
        store.refresh(daily[day * 5:(day + 1) * 5])
    late = [mention("late", "troop_level", 2510, hours=24 * 10 + 3), mention("late2", "troop_level", 2600, hours=24 * 12)]
    store.mentions += late
    store.seen_by_window.clear()
    store.refresh(late)
    assert store.whole_recomputes == 0
    assert max(store.seen_by_window) < 5 * 40  # from 7 days before the late date to 4 weeks after, not all 450
    assert sorted(store.records, key=lambda r: r.key) == sorted(roll_up(store.mentions), key=lambda r: r.key)
    [joined] = [r for r in store.records if "late" in r.article_ids]
    assert "day10-0" in joined.article_ids  # the late report joined the record its date belongs to


def test_a_late_report_that_shifts_every_later_record_is_followed_to_the_end():
    """Daily reports of one level make a record per MAX_SPAN; one earlier report moves every
    boundary after it, so the refresh never catches up and must read on to the end."""
    store = _Rollup()
    daily = [mention(f"day{d:03d}", "troop_level", 2500, hours=24 * d) for d in range(150)]
    for week in range(0, 150, 7):
        store.mentions += daily[week:week + 7]
        store.refresh(daily[week:week + 7])
    before = sorted(r.date for r in store.records)
    early = [mention("early", "troop_level", 2500, hours=-24)]
    store.mentions += early
    store.refresh(early)
    after = sorted(r.date for r in store.records)
    assert before[-1] != after[-1]  # the last record begins on another day now
    assert sorted(store.records, key=lambda r: r.key) == sorted(roll_up(store.mentions), key=lambda r: r.key)


def test_two_facts_whose_keys_would_meet_keep_a_key_each():
    one, other = mention("a", "troop_level", 1260), mention("b", "troop_level", 1340, hours=1)
    records = roll_up([other, one])
    assert [r.article_ids for r in records] == [["a"], ["b"]]
    assert records[0].key == "troop_level:united-states:iraq:1300:2021-01-15"
    assert records[1].key.startswith("troop_level:united-states:iraq:1300:2021-01-15~")


def test_a_rising_toll_of_one_attack_day_is_one_record_and_other_days_are_not():
    day = JAN_15.replace(hour=0)
    first = mention("wire", "casualties", 100, actor=None, location="Mogadishu", measure="killed", date=day)
    later = mention("paper", "casualties", 120, actor=None, location="Mogadishu", measure="killed", hours=30,
                    date=day + timedelta(days=1))
    [record] = roll_up([first, later])
    assert set(record.article_ids) == {"wire", "paper"}
    # the same rise told of a publication day, with no attack day said, stays two counts
    undated = [m.model_copy(update={"event": m.event.model_copy(update={"date_precision": "month"})}) for m in (first, later)]
    assert len(roll_up(undated)) == 2


def test_a_date_said_to_the_month_matches_a_day_inside_it():
    month = mention("weekly", "troop_level_change", value=700, location="Somalia",
                    date=JAN_15.replace(day=1, hour=0))
    month = month.model_copy(update={"event": month.event.model_copy(update={"date_precision": "month"})})
    day = mention("daily", "troop_level_change", value=700, location="Somalia", date=JAN_15.replace(day=4))
    [record] = roll_up([month, day])
    assert set(record.article_ids) == {"weekly", "daily"}
