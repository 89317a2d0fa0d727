"""When a sentence says something happened, resolved against the publication date.

Pure: a sentence and the article's publication time in, a ``TimeRef`` out, keeping how
precise the text was: "on January 3, 2020" is a day, "in November" a month (of the year
before, in a January article), "in 2011" a year, "since 2003" a period that runs to the
publication date. Relative words ("on Friday", "yesterday", "last week", "last month",
"last year") count back from the publication date. A sentence that says nothing is the
publication day (``TimeRef.stated`` False). The figure's own clause is read first, then its
;-part of the sentence, then the whole sentence; asides (", where ...") date nothing else.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ..keys import TimeRef
from ..normalize.dates import latest_date_in_text

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]
_MONTH_ALT = "|".join(m.capitalize() for m in _MONTHS) + "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_ALT = "|".join(d.capitalize() for d in _WEEKDAYS)

_SINCE_YEAR = re.compile(rf"\b(?i:since)\s+(?:(?:the\s+)?[\w-]+(?:\s+[\w-]+){{0,4}}\s+in\s+|(?:the|its|their)\s+)?(?:(?P<month>{_MONTH_ALT})\s+)?(?P<year>(?:19|20)\d\d)\b")
_MONTH_DAY = re.compile(rf"\b(?P<month>{_MONTH_ALT})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*(?:19|20)\d\d)(?!\s*(?:per|%|troops|soldiers|people))")
_DAY_MONTH = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_MONTH_ALT})\b(?!\.?,?\s*(?:19|20)\d\d)")
_WEEKDAY = re.compile(rf"\b(?:on\s+|last\s+)?(?P<day>{_WEEKDAY_ALT})\b")
_YESTERDAY = re.compile(r"\byesterday\b", re.I)
_LAST = re.compile(r"\b(?:last|the\s+previous|the\s+past)\s+(?P<unit>week|month|year)\b", re.I)
_MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH_ALT})\.?,?\s+(?P<year>(?:19|20)\d\d)\b")
_MONTH_ALONE = re.compile(rf"\b(?i:in|since|from|during|early|late|mid-?|last|this|of)\s+(?P<month>{_MONTH_ALT})\b(?!\.?\s*\d)")
# A month still to come in a plan ("will leave in March") dates nothing but the announcement.
_FUTURE = re.compile(r"\b(?:will|would|shall|plans?|planned|planning|expected|scheduled|set to|due to|is to|are to|intends?)\b", re.I)
_SPOKEN = re.compile(
    r"\b(?:said|says|told(?:\s+\w+){0,2}|announced|added|confirmed|reported|stated|claimed|wrote)"
    rf"(?:\s+(?:late|early))?\s+(?:on\s+)?(?:(?:{_WEEKDAY_ALT})(?!'s)|(?:{_MONTH_ALT})\.?\s+\d{{1,2}}\b)")
_POSSESSIVE_WEEKDAY = re.compile(rf"\b(?P<day>{_WEEKDAY_ALT})['’]s\b")
_SINCE_DAY = re.compile(rf"\b(?i:since)\s+(?:(?:{_MONTH_ALT})\.?\s+\d{{1,2}}\b(?:,?\s+(?:19|20)\d\d)?|\d{{1,2}}\s+(?:{_MONTH_ALT})\b(?:\s+(?:19|20)\d\d)?)")
_BETWEEN = re.compile(r"\bbetween\s+(?P<first>(?:19|20)\d\d)\s+and\s+(?P<last>(?:19|20)\d\d)\b", re.I)
_FROM_TO_YEARS = re.compile(r"\bfrom\b[^.;]{0,60}?\bin\s+(?P<first>(?:19|20)\d\d)\b[^.;]{0,60}?\bto\b[^.;]{0,60}?\bin\s+(?P<last>(?:19|20)\d\d)\b", re.I)
_YEAR_SPAN = re.compile(r"\b(?P<first>(?:19|20)\d\d)\s*[-–]\s*(?P<last>(?:19|20)\d\d|\d\d)\b")
_YEAR_BEFORE_NOUN = re.compile(r"\b(?:a|an|the|its|their|his|her)\s+(?P<year>(?:19|20)\d\d)\s+(?=[a-z\"“])")
_AGO = re.compile(r"\b(?P<count>a|an|one|two|three|four|five|six|\d+)\s+(?P<unit>years?|months?|weeks?)\s+ago\b", re.I)
_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
# Where one clause of a sentence ends and the next begins; a ;-part is bigger.
_CLAUSE_BREAK = re.compile(r";|,\s+(?=(?:when|after|before|while|until|though|although|but)\b)|"
                           r"\s+(?=(?:after|before|until)\s+(?:the|a|an|his|her|its|their)\b)", re.I)
_PART_BREAK = re.compile(r";")
# Words that make the day after them a deadline: "by September 11", "no later than 1 May".
_DEADLINE = re.compile(r"\b(?:by|before|until|till|no later than|ahead of|deadline of)\s+(?:the\s+)?$", re.I)
_DAYS_AFTER = re.compile(r"\b(?P<count>a|one|two|three|four|five|six|\d)\s+days?\s+after\b", re.I)
# ", where talks began last week", ", whose mandate expires on Thursday,": an aside about something else.
_ASIDE = re.compile(r",\s+(?:where|which|whose|who)\b(?:[^,;]|,(?=\d))*(?:,|$)")  # "2,500" ends no aside
_IN_YEAR = re.compile(r"\b(?<!since )(?:in|during|by the end of|at the end of|back in|of)\s+(?P<year>(?:19|20)\d\d)\b(?!\s*(?:per|%))", re.I)


def resolve_time(sentence: str, published: datetime | None, anchor: int | None = None) -> TimeRef | None:
    """The time ``sentence`` sets its event in; None only when there is no publication date.

    ``anchor``: where in the sentence the figure is; of several years, the nearest dates it.
    The day a statement was made ("said on Tuesday") dates the statement, not what it is
    about, and is passed over.
    """
    if published is None:
        return None
    day = _midnight(published)
    after = _days_after(sentence, day)
    if after is not None:
        return after
    text = _SPOKEN.sub(lambda m: " " * len(m.group(0)), _aside_masked(sentence, anchor))
    # The figure's own clause first, then its part of the sentence, then the whole: "agreed in
    # April to withdraw all 1,000 troops after the junta that seized power in July 2023" is April.
    for window in _windows(text, anchor):
        found = _first_time(window, day, anchor)
        if found.stated:
            return found
    return _first_time(text, day, anchor)


def _first_time(text: str, day: datetime, anchor: int | None) -> TimeRef:
    for rule in (_since, _between, _full_date, _month_and_day, _yesterday, _weekday, _ago, _last_unit, _month_year,
                 _month_alone):
        found = rule(text, day)
        if found is not None:
            return found
    return _in_year(text, day, anchor) or TimeRef(day, stated=False)


def _windows(text: str, anchor: int | None) -> list[str]:
    """The text blanked but for the clause around ``anchor``, then but for its ;-part."""
    if anchor is None:
        return []
    out = []
    for boundary in (_CLAUSE_BREAK, _PART_BREAK):
        cuts = [0, *(m.start() for m in boundary.finditer(text)), len(text)]
        start = max(c for c in cuts if c <= anchor)
        end = min(c for c in cuts if c > anchor) if any(c > anchor for c in cuts) else len(text)
        if (start, end) != (0, len(text)):
            out.append(" " * start + text[start:end] + " " * (len(text) - end))
    return out


def _aside_masked(sentence: str, anchor: int | None) -> str:
    """The sentence with its relative clauses blanked, but the one the figure is in: "has about
    2,500 troops in Iraq, where talks began last week" is a level as of now, not of last week."""
    if anchor is None:
        return sentence
    return _ASIDE.sub(lambda m: m.group(0) if m.start() <= anchor < m.end() else " " * len(m.group(0)), sentence)


def _days_after(sentence: str, day: datetime) -> TimeRef | None:
    """"said on Tuesday ..., two days after a drone attack": counted back from the day said."""
    match = _DAYS_AFTER.search(sentence)
    if not match:
        return None
    said = _weekday(sentence, day)
    base = said.date if said is not None else day
    return TimeRef(base - timedelta(days=_COUNT_WORDS.get(match["count"].lower()) or int(match["count"])))


def _midnight(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def _month_number(name: str) -> int:
    return next(i for i, m in enumerate(_MONTHS, start=1) if m.startswith(name.lower()[:3]))


def _full_date(sentence: str, day: datetime) -> TimeRef | None:
    named = latest_date_in_text(sentence, day + timedelta(days=1))
    return TimeRef(_midnight(named)) if named else None


def _since(sentence: str, day: datetime) -> TimeRef | None:
    """"since 2003", "since March 2019", "since Aug. 14": a period up to publication."""
    later = _SINCE_DAY.search(sentence)
    if later:
        start = _month_and_day(later.group(0)[len("since"):], day) or _full_date(later.group(0), day)
        if start is not None:
            return TimeRef(start.date, "period", day)
    match = _SINCE_YEAR.search(sentence)
    if not match or int(match["year"]) > day.year:
        return None
    month = _month_number(match["month"]) if match["month"] else 1
    return TimeRef(day.replace(year=int(match["year"]), month=month, day=1), "period", day)


def _month_and_day(sentence: str, day: datetime) -> TimeRef | None:
    """"on January 3", "3 January": the latest such day not after publication."""
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        match = pattern.search(sentence)
        if match:
            try:
                found = day.replace(month=_month_number(match["month"]), day=int(match["day"]))
            except ValueError:
                continue
            if found > day:
                if found - day <= timedelta(days=60) or _DEADLINE.search(sentence[: match.start()]):
                    # "before the 31 August deadline", "leave by September 11": a day to come
                    # dates nothing yet
                    continue
                try:
                    found = found.replace(year=found.year - 1)
                except ValueError:  # 29 February
                    continue
            return TimeRef(found)
    return None


def _yesterday(sentence: str, day: datetime) -> TimeRef | None:
    return TimeRef(day - timedelta(days=1)) if _YESTERDAY.search(sentence) else None


def _weekday(sentence: str, day: datetime) -> TimeRef | None:
    """"on Friday": the latest Friday on or before the publication day ("last Friday": before it)."""
    # "in Thursday's bombing" names the day of the event itself: it beats any other weekday.
    match = _POSSESSIVE_WEEKDAY.search(sentence) or _WEEKDAY.search(sentence)
    if not match:
        return None
    back = (day.weekday() - _WEEKDAYS.index(match["day"].lower())) % 7
    if back == 0 and match.group(0).lower().startswith("last"):
        back = 7
    return TimeRef(day - timedelta(days=back))


def _last_unit(sentence: str, day: datetime) -> TimeRef | None:
    match = _LAST.search(sentence)
    if not match:
        return None
    unit = match["unit"].lower()
    if unit == "year":
        return TimeRef(day.replace(year=day.year - 1, month=1, day=1), "year")
    if unit == "month":
        first = day.replace(day=1) - timedelta(days=1)
        return TimeRef(first.replace(day=1), "month")
    monday = day - timedelta(days=day.weekday() + 7)
    return TimeRef(monday, "period", monday + timedelta(days=6))


def _month_year(sentence: str, day: datetime) -> TimeRef | None:
    match = _MONTH_YEAR.search(sentence)
    if not match:
        return None
    found = day.replace(year=int(match["year"]), month=_month_number(match["month"]), day=1)
    return TimeRef(found, "month") if found <= day else None


def _month_alone(sentence: str, day: datetime) -> TimeRef | None:
    """"In November" in a January article: November of the year before."""
    match = _MONTH_ALONE.search(sentence)
    if not match:
        return None
    month = _month_number(match["month"])
    if month > day.month and _FUTURE.search(sentence):
        return None
    year = day.year if month <= day.month else day.year - 1
    return TimeRef(day.replace(year=year, month=month, day=1), "month")


def _in_year(sentence: str, day: datetime, anchor: int | None = None) -> TimeRef | None:
    """"in 2011", "the 2012 agreement", "a 2002 crash": the year nearest the figure."""
    found = [(m.start("year"), int(m["year"])) for pattern in (_IN_YEAR, _YEAR_BEFORE_NOUN) for m in pattern.finditer(sentence)]
    found = [(at, year) for at, year in found if year < day.year]
    if not found:
        return None
    at, year = min(found, key=lambda f: abs(f[0] - anchor)) if anchor is not None else min(found)
    return TimeRef(day.replace(year=year, month=1, day=1), "year")


def _between(sentence: str, day: datetime) -> TimeRef | None:
    """"between 2010 and 2019", "from 200 in 2012 to 2,500 in 2019", "the 1950-53 war": a period."""
    match = _BETWEEN.search(sentence) or _FROM_TO_YEARS.search(sentence)
    if match:
        first, last = int(match["first"]), int(match["last"])
    else:
        match = _YEAR_SPAN.search(sentence)
        if not match:
            return None
        first, tail = int(match["first"]), match["last"]
        last = int(tail) if len(tail) == 4 else first // 100 * 100 + int(tail)
    if not first < last <= day.year:
        return None
    return TimeRef(day.replace(year=first, month=1, day=1), "period", day.replace(year=last, month=12, day=31))


def _ago(sentence: str, day: datetime) -> TimeRef | None:
    """"a year ago", "two months ago": that month."""
    match = _AGO.search(sentence)
    if not match:
        return None
    count = _COUNT_WORDS.get(match["count"].lower(), None) if not match["count"].isdigit() else int(match["count"])
    if count is None:
        return None
    if match["unit"].lower().startswith("year"):
        return TimeRef(day.replace(year=day.year - count, day=1), "month")
    if match["unit"].lower().startswith("month"):
        month = day.month - count
        year = day.year + (month - 1) // 12
        return TimeRef(day.replace(year=year, month=(month - 1) % 12 + 1, day=1), "month")
    return TimeRef(day - timedelta(weeks=count))
