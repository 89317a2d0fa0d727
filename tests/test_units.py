"""What a percentage counts (worker/extract/units.py)."""

from __future__ import annotations

import pytest

from worker.extract.units import with_unit
from worker.models import Figure


def figure(text: str, sentence: str, category: str = "percent") -> Figure:
    return Figure(value=1, text=text, sentence=sentence, category=category, start=0, end=len(text))


@pytest.mark.parametrize("text, sentence, counts", [
    ("1.4%", "Germany spent about 1.4% of its gross domestic product on defence.", "GDP"),
    ("2%", "Members pledged to spend 2% of GDP on defence by 2024.", "GDP"),
    ("22 per cent", "Security absorbs 22 per cent of the state budget, officials said.", "state budget"),
    ("40 percent", "It won 40 percent of voters in the capital.", "voters"),
])
def test_a_share_counts_what_it_is_of(text, sentence, counts):
    assert with_unit(figure(text, sentence)).counts == counts


def test_a_bare_share_and_money_stay_empty():
    assert with_unit(figure("5%", "Inflation rose 5% last year.")).counts == ""
    assert with_unit(figure("€300 million", "It costs €300 million.", "money")).counts == ""
