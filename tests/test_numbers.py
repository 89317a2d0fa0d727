"""worker.extract.numbers: number expressions to values. Pure: no spaCy model is loaded."""

import pytest

from worker.extract.numbers import is_number_word, is_vague, parse_number


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        # digits, with and without thousands separators
        (["2,500"], 2500),
        (["2500"], 2500),
        (["1,000,000"], 1_000_000),
        (["1.5"], 1.5),
        (["12,500.5"], 12500.5),
        # digit + suffix in one token
        (["2.5k"], 2500),
        (["2.5K"], 2500),
        (["3bn"], 3_000_000_000),
        (["3BN"], 3_000_000_000),
        (["3m"], 3_000_000),
        (["1.5tn"], 1.5e12),
        # digits + scale word
        (["1.2", "million"], 1_200_000),
        (["2", "million"], 2_000_000),
        (["3", "billion"], 3_000_000_000),
        # spelled out
        (["twelve", "thousand"], 12_000),
        (["Twelve", "Thousand"], 12_000),
        (["two", "hundred", "and", "fifty"], 250),
        (["seven", "hundred", "and", "five"], 705),
        (["three", "hundred", "twenty", "five"], 325),
        (["twenty", "-", "five"], 25),
        (["twenty", "five"], 25),
        (["forty", "two", "thousand"], 42_000),
        (["one", "hundred", "thousand"], 100_000),
        (["two", "million", "five", "hundred", "thousand"], 2_500_000),
        (["nineteen"], 19),
        (["zero"], 0),
        # articles and specials
        (["a", "dozen"], 12),
        (["two", "dozen"], 24),
        (["a", "hundred"], 100),
        (["an", "hundred"], 100),
        (["hundred"], 100),
        (["half"], 0.5),
        (["half", "dozen"], 6),
        # vague plurals give their lower bound
        (["thousands"], 1_000),
        (["Thousands"], 1_000),
        (["hundreds"], 100),
        (["dozens"], 12),
        (["millions"], 1_000_000),
    ],
)
def test_parse_number_values(words, expected):
    assert parse_number(words) == pytest.approx(expected)


def test_parse_number_returns_float():
    assert isinstance(parse_number(["2,500"]), float)


@pytest.mark.parametrize(
    "words",
    [
        ["2,500", "3,000"],  # two digit numbers side by side are two numbers
        ["2500", "3000"],
        ["1.2", "3"],
        ["five", "six"],  # two units do not add up
        ["two", "twelve"],
        ["twenty", "thirty"],
        ["two", "half"],  # "half" only works alone or before "dozen"
        ["a"],  # no number at all
        ["an"],
        ["and"],
        ["a", "and"],
        [],
        ["troops"],
        ["2,500", "troops"],
        ["hundreds", "of"],
        ["12,34"],  # malformed separator
    ],
)
def test_parse_number_rejects_non_numbers(words):
    assert parse_number(words) is None


@pytest.mark.parametrize(
    "word",
    ["2,500", "2500", "12,500.5", "1.5", "2.5k", "3bn", "3BN", "twelve", "Twelve", "twenty",
     "thousand", "Thousand", "million", "dozen", "half", "thousands", "hundreds", "zero"],
)
def test_is_number_word_true(word):
    assert is_number_word(word)


@pytest.mark.parametrize(
    "word",
    ["and", "a", "-", "abc", "troops", "1,2345", "3rd", "first", "2.5x", "", "k", "bn"],
)
def test_is_number_word_false(word):
    assert not is_number_word(word)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["thousands"], True),
        (["Hundreds"], True),
        (["dozens"], True),
        (["millions"], True),
        (["a", "few", "thousands"], True),
        (["thousand"], False),
        (["twelve", "thousand"], False),
        (["2,500"], False),
        (["a", "dozen"], False),
        ([], False),
    ],
)
def test_is_vague(words, expected):
    assert is_vague(words) is expected


def test_parse_number_hyphenated_single_token():
    assert parse_number(["twenty-five"]) == 25


def test_parse_number_digits_after_scale_are_a_second_number():
    assert parse_number(["1", "million", "2"]) is None


def test_parse_number_detached_suffix():
    assert parse_number(["2.5", "m"]) == pytest.approx(2_500_000)


def test_looking_for_a_phone_number_is_linear_in_a_run_of_bare_numbers(nlp, monkeypatch):
    """Issue 18 item 14: every number of a long run scanned the whole run (355 s for 109 KB)."""
    from worker.extract import figures

    calls = {"n": 0}
    real = figures._phone_part

    def counting(token):
        calls["n"] += 1
        return real(token)

    monkeypatch.setattr(figures, "_phone_part", counting)

    def scans(count: int) -> int:
        calls["n"] = 0
        figures.find_figures(nlp(" ".join(str(7 + i % 90) for i in range(count)) + " troops."))
        return calls["n"]

    small, large = scans(400), scans(1600)
    assert large <= 4 * small * 1.2, (small, large)  # four times the numbers, about four times the work
    assert figures._is_phone(nlp("Call +1-888-407-4747 now."), 2, 3)
