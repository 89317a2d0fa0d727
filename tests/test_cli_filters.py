"""The compact --figure syntax and date options of `newsworker search`."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest

from worker.cli.filters import FilterSyntaxError, parse_day, parse_figure


@pytest.mark.parametrize(
    "text, expected",
    [
        ("troops", ("troops", None, None)),
        ("troops>=2000", ("troops", 2000, None)),
        ("troops >= 2,000", ("troops", 2000, None)),
        ("killed<=100", ("killed", None, 100)),
        ("money=5", ("money", 5, 5)),
        ("killed:4000..5000", ("killed", 4000, 5000)),
        ("people:..10", ("people", None, 10)),
        (">=1e6", (None, 1e6, None)),
    ],
)
def test_parse_figure(text, expected):
    assert parse_figure(text) == expected


def test_strict_bounds_exclude_the_value():
    _, low, _ = parse_figure("troops>2500")
    _, _, high = parse_figure("troops<2500")
    assert low > 2500 and math.isclose(low, 2500)
    assert high < 2500 and math.isclose(high, 2500)


@pytest.mark.parametrize("text", ["", "soldiers>=5", "troops>=", "troops=>5", "troops:abc..def"])
def test_bad_figure_filters_say_what_to_write(text):
    with pytest.raises(FilterSyntaxError):
        parse_figure(text)


def test_parse_day_and_end_of_day():
    assert parse_day("2021-01-15") == datetime(2021, 1, 15, tzinfo=timezone.utc)
    assert parse_day("2021-01-15", end_of_day=True) == datetime(2021, 1, 15, 23, 59, 59, tzinfo=timezone.utc)
    with pytest.raises(FilterSyntaxError):
        parse_day("not a date at all zzz")
