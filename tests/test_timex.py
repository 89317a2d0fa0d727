"""Times resolved against the publication date, with their precision (worker/extract/timex.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from worker.extract.timex import resolve_time
from worker.keys import TimeRef

# A Friday afternoon in January.
PUB = datetime(2021, 1, 15, 14, 5, tzinfo=timezone.utc)


def day(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize("sentence, key, precision", [
    ("The cut was completed on January 3, 2020 in Baghdad.", "2020-01-03", "day"),
    ("In November, Mr Trump ordered commanders to cut troop levels.", "2020-11", "month"),  # the November before
    ("The order came in early January.", "2021-01", "month"),
    ("Britain sent troops in May 2019.", "2019-05", "month"),
    ("At a high point in 2011 there were 98,000 troops.", "2011", "year"),
    ("Since the US-led invasion in 2003, almost 4,500 troops have been killed.", "2003-01-01/2021-01-15", "period"),
    ("Since March 2019, 1,200 soldiers have rotated through.", "2019-03-01/2021-01-15", "period"),
    ("Troops fell to 2,500, the lowest level since the 2001 invasion.", "2001-01-01/2021-01-15", "period"),
    ("Acting Defense Secretary Christopher Miller said on Friday.", "2021-01-15", "day"),  # published that Friday
    ("The Pentagon announced the move on Tuesday.", "2021-01-12", "day"),
    ("The base was attacked last Friday.", "2021-01-08", "day"),
    ("Officials confirmed the deaths yesterday.", "2021-01-14", "day"),
    ("The first 500 arrived on Jan. 3.", "2021-01-03", "day"),
    ("The decision came on 20 December.", "2020-12-20", "day"),  # no year: the last 20 December before
    ("Troops left last month.", "2020-12", "month"),
    ("Casualties rose last year.", "2020", "year"),
    ("The drawdown began last week.", "2021-01-04/2021-01-10", "period"),
    ("There are now 2,500 US service members in Iraq.", "2021-01-15", "day"),  # says nothing: the publication day
])
def test_resolution_and_precision(sentence, key, precision):
    found = resolve_time(sentence, PUB)
    assert (found.key(), found.precision) == (key, precision)


@pytest.mark.parametrize("sentence, key", [
    # the day a statement was made dates the statement, not the attack it is about
    ("The group said on Tuesday it was suspending attacks after Sunday's strike.", "2021-01-10"),
    ("The Pentagon on Saturday named the 13 troops killed in Thursday's bombing.", "2021-01-14"),
    ("The militia said on Wednesday that 12 fighters were killed.", "2021-01-15"),
    # periods
    ("An airlift has flown out 100,000 people since Aug. 14.", "2020-08-14/2021-01-15"),
    ("Cholera killed nearly 10,000 between 2010 and 2019.", "2010-01-01/2019-12-31"),
    ("The force grew from 200 in 2012 to about 2,500 in 2019.", "2012-01-01/2019-12-31"),
    ("More than 36,000 died in the 1950-53 Korean War.", "1950-01-01/1953-12-31"),
    # a year as a modifier, the year nearest the figure, a year ago
    ("The previous deadliest crash was a 2002 accident near Busan that killed 129.", "2002"),
    ("Almost exactly a year ago, a gunman shot dead two contractors.", "2020-01"),
    # a day still to come dates nothing yet
    ("Troops remain at the airport until the 20 January deadline.", "2021-01-15"),
    ("All 2,500 troops will leave by September 11, Mr Biden said.", "2021-01-15"),  # months ahead: a deadline
    ("The last convoy left on September 11.", "2020-09-11"),  # no deadline word: the last one before
])
def test_statements_periods_and_modifiers(sentence, key):
    assert resolve_time(sentence, PUB).key() == key


def test_of_several_years_the_one_nearest_the_figure_dates_it():
    sentence = "The mission arrived in 2004 and, at its height after the 2010 earthquake, had 13,000 troops."
    assert resolve_time(sentence, PUB, anchor=sentence.find("13,000")).key() == "2010"
    sentence = "In 2011 there were nearly 12,000 troops, part of a mission that left in 2017."
    assert resolve_time(sentence, PUB, anchor=sentence.find("12,000")).key() == "2011"


def test_a_plan_for_a_month_to_come_dates_only_its_announcement():
    assert resolve_time("The remaining troops will leave in March.", PUB).key() == "2021-01-15"
    assert resolve_time("Troops left in March.", PUB).key() == "2020-03"


def test_dates_after_publication_and_words_that_are_not_times():
    assert resolve_time("It happened on March 3, 2030.", PUB).key() == "2021-01-15"
    assert resolve_time("Officials said the 82nd Airborne may deploy.", PUB).key() == "2021-01-15"
    assert resolve_time("Up to 2,000 troops by 2026.", PUB).key() == "2021-01-15"


def test_no_publication_date_no_time():
    assert resolve_time("on Friday", None) is None


def test_rendering_keeps_the_precision():
    assert TimeRef(day(2021, 1, 15)).render() == "15 Jan 2021"
    assert TimeRef(day(2020, 11, 1), "month").render() == "Nov 2020"
    assert TimeRef(day(2011, 1, 1), "year").render() == "2011"
    assert TimeRef(day(2003, 1, 1), "period", day(2021, 1, 15)).render() == "2003 - 15 Jan 2021"
    assert TimeRef(day(2021, 1, 4), "period", day(2021, 1, 10)).render() == "4 Jan 2021 - 10 Jan 2021"


def test_an_aside_about_something_else_does_not_date_the_figure():
    sentence = "The US has about 2,500 troops in Iraq, where the government began talks with Washington last week."
    at = sentence.find("2,500")
    assert resolve_time(sentence, PUB, at).key() == "2021-01-15"
    # the clause the figure is in keeps its own time
    inside = "Talks stalled, which left about 2,500 troops in limbo last week."
    assert resolve_time(inside, PUB, inside.find("2,500")).key() == "2021-01-04/2021-01-10"
    assert resolve_time(inside, PUB, 0).key() == "2021-01-15"  # "Talks stalled" is not in that aside
    before = "The mission, whose mandate expires on Thursday, has fewer than 1,000 personnel."
    assert resolve_time(before, PUB, before.find("1,000")).key() == "2021-01-15"


def test_days_after_count_back_from_the_day_said():
    # PUB is Friday 15 January 2021: "said on Wednesday" is the 13th, two days after it the 11th
    sentence = "The group said on Wednesday it would stop, two days after a drone attack killed three soldiers."
    assert resolve_time(sentence, PUB, sentence.find("three")).key() == "2021-01-11"
    assert resolve_time("A day after the blast, 40 were still missing.", PUB, 0).key() == "2021-01-14"


def test_a_sentence_without_a_time_falls_back_to_the_publication_day_and_says_so():
    assert resolve_time("About 170 people were killed, officials said.", PUB).stated is False
    assert resolve_time("About 170 people were killed on Tuesday.", PUB).stated is True


def test_the_figures_own_clause_dates_it_before_the_rest_of_the_sentence():
    sentence = "Washington agreed in October to withdraw all 1,000 of its troops after the junta that seized power in July 2020."
    assert resolve_time(sentence, PUB, sentence.find("1,000")).key() == "2020-10"
    parts = "The mission ended in June 2019, when Italy pulled out its remaining 900 troops; 40 soldiers died there since 2004."
    assert resolve_time(parts, PUB, parts.find("900")).key() == "2019-06"
    assert resolve_time(parts, PUB, parts.find("40")).precision == "period"  # its own part says "since 2004"
