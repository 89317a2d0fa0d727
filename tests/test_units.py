"""What a percentage or an amount counts (worker/extract/units.py)."""

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


def test_a_bare_share_stays_empty():
    assert with_unit(figure("5%", "Inflation rose 5% last year.")).counts == ""


@pytest.mark.parametrize("text, sentence, counts", [
    ("€300 million", "It costs €300 million.", "euros"),
    ("US$1.05 billion", "Seoul will pay about US$1.05 billion.", "dollars"),
    ("1.2bn", "Canberra has committed A$1.2bn to the base.", "dollars"),  # the sign is a token of its own
    ("500 million", "Hosting costs 500 million zlotys a year.", "zlotys"),
    ("7.5 billion", "The deployment cost 7.5 billion Australian dollars.", "dollars"),
    ("1.5 trillion", "Seoul will pay 1.5 trillion won this year.", "won"),
    ("3 million", "Families will receive 3 million rubles each.", "rubles"),
    ("500 billion", "Mali spends 500 billion CFA francs.", "francs"),
])
def test_an_amount_counts_its_currency(text, sentence, counts):
    assert with_unit(figure(text, sentence, "money")).counts == counts


def test_an_amount_of_no_named_currency_stays_empty():
    assert with_unit(figure("2 billion", "The fund holds 2 billion in reserves.", "money")).counts == ""
