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


def test_a_year_or_month_alone_is_that_whole_period():
    """Issue 18 item 20: '--since 2021' meant 2021-12-03 (today's day in 2021)."""
    utc = timezone.utc
    assert parse_day("2021") == datetime(2021, 1, 1, tzinfo=utc)
    assert parse_day("2021", end_of_day=True) == datetime(2021, 12, 31, 23, 59, 59, tzinfo=utc)
    assert parse_day("2020-02", end_of_day=True) == datetime(2020, 2, 29, 23, 59, 59, tzinfo=utc)
    with pytest.raises(FilterSyntaxError, match="2021-13"):
        parse_day("2021-13")


def test_the_last_day_there_is_and_numbers_past_float():
    """Issue 18 item 20: '--until 9999-12-31' and '--figure troops>=1e400' were a traceback and a silent miss."""
    assert parse_day("9999-12-31", end_of_day=True) == datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    with pytest.raises(FilterSyntaxError, match="too large"):
        parse_figure("troops>=1e400")


def test_event_queries_are_a_few_words():
    """Issue 18 item 20: 1,000 words in `events` made a query SQLite refused (a traceback)."""
    from pydantic import ValidationError

    from worker.models import EventQuery

    with pytest.raises(ValidationError, match="at most 32 words"):
        EventQuery(text=" ".join(["word"] * 1000))


def test_cli_event_search_takes_percent_literally(env_settings, tmp_path):
    from click.testing import CliRunner

    from tests.conftest import SEED
    from worker.cli.main import cli

    env_settings()
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(SEED)]).exit_code == 0
    assert "No events match." in runner.invoke(cli, ["events", "%"]).output
    assert "troop_level" in runner.invoke(cli, ["events", "Iraq"]).output
    huge = runner.invoke(cli, ["search", "--offset", "99999999999999999999", "x"])
    assert huge.exit_code == 2 and "Traceback" not in huge.output
