"""The events rollup: mentions from many articles -> one record per fact, order-independent."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from worker.models import EventMention
from worker.rollup import Mention, fact_of, roll_up, rollup_key

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
