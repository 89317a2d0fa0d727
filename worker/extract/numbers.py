"""Number expressions to values: "2,500", "2.5k", "$3bn", "twelve thousand", "a dozen", "half"."""

from __future__ import annotations

import re

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 10**12}
SUFFIXES = {"k": 1_000, "m": 1_000_000, "mn": 1_000_000, "mln": 1_000_000, "bn": 10**9, "b": 10**9, "tn": 10**12}
SPECIAL = {"half": 0.5, "dozen": 12, "score": 20}
# Plural scale words are vague counts: "thousands of people" means at least a thousand.
VAGUE = {"dozens": 12, "scores": 20, "hundreds": 100, "thousands": 1_000, "millions": 1_000_000, "billions": 10**9}

_DIGITS = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_DIGITS_SUFFIX = re.compile(r"^(?P<num>\d+(?:\.\d+)?)(?P<suffix>k|m|mn|mln|bn|b|tn)$", re.IGNORECASE)
NUMBER_WORDS = set(UNITS) | set(TENS) | set(SCALES) | set(SPECIAL) | set(VAGUE)


def is_number_word(word: str) -> bool:
    lowered = word.lower()
    return lowered in NUMBER_WORDS or bool(_DIGITS.match(word) or _DIGITS_SUFFIX.match(lowered))


def is_vague(words: list[str]) -> bool:
    return any(w.lower() in VAGUE for w in words)


def parse_number(words: list[str]) -> float | None:
    """The value of a run of number words, or None if they do not form one number."""
    total = 0.0
    current: float | None = None
    spelled = False  # words like "two hundred and fifty" add up; digit tokens never do
    scaled = False  # a scale word was applied: a digit token after it is another number
    for raw in _split_hyphens(words):
        word = raw.lower().rstrip(".") if raw.lower().rstrip(".") in SUFFIXES else raw.lower()
        if word in ("a", "an", "and", "-", ""):
            continue
        if word in SUFFIXES and current is not None and not spelled:
            current *= SUFFIXES[word]  # "2.5" "m", as spaCy splits "$2.5m"
            total, current, scaled = total + current, None, True
            continue
        value = _single(word)
        if value is not None and scaled and not word.isalpha():
            return None
        if value is not None:
            if current is not None and not (spelled and word.isalpha() and _adds_to(current, value)):
                return None  # two numbers side by side ("2,500 3,000") are not one number
            current = value if current is None else current + value
            spelled = word.isalpha()
            continue
        scale = SCALES.get(word) or VAGUE.get(word) or SPECIAL.get(word)
        if scale is None:
            return None
        if word in SPECIAL and word != "dozen" and current is not None:
            return None
        current = (current if current is not None else 1) * scale
        spelled = True
        scaled = True
        if scale >= 1000:
            total += current
            current = None
    if current is not None:
        total += current
    return total if any(w.lower() not in ("a", "an", "and") for w in words) else None


def _split_hyphens(words: list[str]) -> list[str]:
    """"twenty-five" as one token is "twenty", "five"."""
    out: list[str] = []
    for word in words:
        parts = word.split("-")
        if len(parts) > 1 and all(p.lower() in NUMBER_WORDS for p in parts if p):
            out.extend(p for p in parts if p)
        else:
            out.append(word)
    return out


def _adds_to(current: float, value: float) -> bool:
    """"hundred" then "fifty", or "forty" then "two"."""
    return (current % 100 == 0 and value < 100) or (20 <= current % 100 and current % 10 == 0 and value < 10)


def _single(word: str) -> float | None:
    if _DIGITS.match(word):
        return float(word.replace(",", ""))
    if match := _DIGITS_SUFFIX.match(word):
        return float(match["num"]) * SUFFIXES[match["suffix"].lower()]
    if word in UNITS:
        return float(UNITS[word])
    if word in TENS:
        return float(TENS[word])
    return None
