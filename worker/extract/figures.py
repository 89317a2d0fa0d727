"""Figures: numbers that count something, with what they count, how and where.

Works on a parsed spaCy ``Doc`` of one text field; pure apart from reading the parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from ..models import Figure, FigureCategory, FigureRole, Qualifier, TextField
from . import lexicon
from .numbers import SCALES, SUFFIXES, is_number_word, is_vague, parse_number

NOT_FIGURE_ENTS = {"DATE", "TIME", "ORDINAL"}
PLACE_ENTS = {"GPE", "LOC", "FAC"}
PLACE_PREPOSITIONS = {"in", "from", "to", "across", "inside", "within", "into", "at", "throughout"}
CURRENCY_SIGNS = {"$", "£", "€", "¥", "us$"}
PERCENT_TOKENS = {"%", "percent", "pct"}
_PHONE = re.compile(r"^\+?\(?\d[\d()\-. ]{5,}\d$")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
_QUALIFIERS: list[tuple[str, Qualifier]] = sorted(
    [(p, "approx") for p in lexicon.APPROX]
    + [(p, "at_least") for p in lexicon.AT_LEAST]
    + [(p, "at_most") for p in lexicon.AT_MOST],
    key=lambda pair: -len(pair[0]),
)


@dataclass
class _Candidate:
    start: int  # token index, number span only
    end: int
    value: float
    value_max: float | None = None
    qualifier: Qualifier = "exact"


def extract_figures(doc: Doc, field: TextField = "body", base: int = 0) -> list[Figure]:
    """Every counting number in ``doc``; ``base`` is added to character offsets."""
    figures: list[Figure] = []
    # Span.ents scans every entity of the doc; bucketing once keeps long texts linear.
    places: dict[int, list[Span]] = {}
    for ent in doc.ents:
        if ent.label_ in PLACE_ENTS:
            places.setdefault(ent.sent.start, []).append(ent)
    for sent in doc.sents:
        previous: list[Figure] = []
        for candidate in _candidates(sent):
            figure = _figure(sent, candidate, previous, field, base, places.get(sent.start, []))
            previous.append(figure)
        figures.extend(previous)
    return figures


def _candidates(sent: Span) -> list[_Candidate]:
    found = []
    for start, end in _number_runs(sent):
        value = parse_number([t.text for t in sent.doc[start:end]])
        if value is None or _not_a_figure(sent.doc, start, end, value):
            continue
        found.append(_Candidate(start, end, value, qualifier=_qualifier(sent, start, sent.doc[start:end])))
    return _merge_ranges(sent.doc, found)


def _number_runs(sent: Span) -> list[tuple[int, int]]:
    doc, runs, i = sent.doc, [], sent.start
    while i < sent.end:
        if not _numberish(doc[i]):
            i += 1
            continue
        j = i + 1
        while j < sent.end and (_numberish(doc[j]) or _joins_words(doc, j, sent.end) or _suffix(doc, j)):
            if _numberish(doc[j]) and not _numberish_pair(doc[j - 1], doc[j]):
                break
            j += 1
        start = i - 1 if i > sent.start and doc[i - 1].lower_ in ("a", "an") and doc[i].lower_ in (*SCALES, "dozen") else i
        runs.append((start, j))
        i = j
    return runs


def _numberish(token: Token) -> bool:
    return is_number_word(token.text)


def _numberish_pair(left: Token, right: Token) -> bool:
    # "twelve thousand", "1.2 million": words combine; two digit tokens are two numbers,
    # and so are "1 million" and a digit after it ("1 million 2 years ago").
    if right.text[0].isdigit():
        return not (left.text[0].isdigit() or left.lower_ in SCALES)
    return True


def _joins_words(doc: Doc, j: int, end: int) -> bool:
    """"two hundred and fifty", "twenty-five": a joiner between two spelled numbers."""
    return (
        doc[j].lower_ in ("and", "-")
        and j + 1 < end
        and doc[j - 1].is_alpha
        and doc[j + 1].is_alpha
        and _numberish(doc[j - 1])
        and _numberish(doc[j + 1])
        and not (doc[j].lower_ == "and" and doc[j - 1].lower_ not in SCALES)
    )


def _suffix(doc: Doc, j: int) -> bool:
    return doc[j].lower_.rstrip(".") in SUFFIXES and doc[j - 1].text[0].isdigit() and not doc[j - 1].whitespace_


def _not_a_figure(doc: Doc, start: int, end: int, value: float) -> bool:
    tokens = doc[start:end]
    if any(t.ent_type_ in NOT_FIGURE_ENTS for t in tokens):
        return True
    head = _root(tokens)
    if len(tokens) == 1 and _YEAR.match(tokens[0].text) and head.dep_ != "nummod":
        return True
    if _is_age(doc, start, end) or _is_phone(doc, start, end):
        return True
    # "one" as a pronoun ("including one that killed ...") counts nothing.
    return tokens.text.lower() == "one" and head.dep_ != "nummod" and tokens[0].ent_type_ != "CARDINAL"


def _is_age(doc: Doc, start: int, end: int) -> bool:
    after = " ".join(t.lower_ for t in doc[end : end + 4])
    before = doc[start - 1].lower_ if start > 0 else ""
    return before in ("aged", "age") or bool(re.match(r"^(?:- )?years? (?:- )?old|^-year-old", after))


def _is_phone(doc: Doc, start: int, end: int) -> bool:
    """Digit groups joined by spaces, hyphens, dots or brackets, 7+ digits and no commas."""
    left, right = start, end
    while left > 0 and _phone_part(doc[left - 1]):
        left -= 1
    while right < len(doc) and _phone_part(doc[right]):
        right += 1
    tokens = doc[left:right]
    digits = sum(c.isdigit() for t in tokens for c in t.text)
    groups = sum(1 for t in tokens if t.text.isdigit())
    return digits >= 7 and groups >= 2 and not any("," in t.text for t in tokens)


def _phone_part(token: Token) -> bool:
    return token.text.isdigit() or token.text in ("(", ")", "-", ".", "+")


def _qualifier(sent: Span, start: int, tokens: Span) -> Qualifier:
    if is_vague([t.text for t in tokens]):
        return "at_least"
    before = " ".join(t.lower_ for t in sent.doc[max(sent.start, start - 4) : start])
    for phrase, qualifier in _QUALIFIERS:
        if before == phrase or before.endswith(" " + phrase):
            return qualifier
    return "exact"


def _merge_ranges(doc: Doc, found: list[_Candidate]) -> list[_Candidate]:
    """"between 2,000 and 3,000" and "2,000 to 3,000" become one range figure."""
    merged: list[_Candidate] = []
    skip = False
    for left, right in zip(found, found[1:] + [None]):
        if skip:
            skip = False
            continue
        if right is not None and _is_range(doc, left, right):
            merged.append(_Candidate(left.start, right.end, _shared_scale(doc, left, right), right.value, "range"))
            skip = True
        elif right is not None and _is_vague_product(doc, left, right):
            merged.append(_Candidate(left.start, right.end, left.value * right.value, qualifier="at_least"))
            skip = True
        else:
            merged.append(left)
    return merged


def _shared_scale(doc: Doc, left: _Candidate, right: _Candidate) -> float:
    """"between 2 and 3 million": the scale written once belongs to both ends."""
    scale = SCALES.get(doc[right.end - 1].lower_)
    left_has_scale = any(t.lower_ in SCALES for t in doc[left.start : left.end])
    if scale and not left_has_scale and left.value * scale <= right.value:
        return left.value * scale
    return left.value


def _is_vague_product(doc: Doc, left: _Candidate, right: _Candidate) -> bool:
    """"hundreds of thousands" is one vague number, not two."""
    return (
        right.start == left.end + 1
        and doc[left.end].lower_ == "of"
        and is_vague([t.text for t in doc[left.start : left.end]])
        and is_vague([t.text for t in doc[right.start : right.end]])
    )


def _is_range(doc: Doc, left: _Candidate, right: _Candidate) -> bool:
    if right.start != left.end + 1 or right.value <= left.value:
        return False
    joiner = doc[left.end].lower_
    before = doc[left.start - 1].lower_ if left.start > 0 else ""
    if joiner == "and":
        return before == "between"
    return joiner in ("to", "-", "–") and before not in ("from", "by")


def _figure(sent: Span, c: _Candidate, previous: list[Figure], field: TextField, base: int, places: list[Span]) -> Figure:
    doc = sent.doc
    span = doc[c.start : c.end]
    noun = _counted_noun(span)
    verb = _governing_verb(noun or _root(span))
    money, percent = _is_money(doc, c), _is_percent(doc, c, noun)
    counts = _noun_phrase(doc, c.end, noun) if noun is not None and not percent else ""
    if percent and noun is not None:
        counts = _of_object(noun)
    if not counts and not money and not percent:
        counts = _elided_counts(previous, verb)
    category = _category(counts, noun, verb, money, percent)
    start_tok = c.start - 1 if c.start > 0 and doc[c.start - 1].lower_ in CURRENCY_SIGNS else c.start
    end_tok = c.end + _percent_width(doc, c.end)
    last = doc[end_tok - 1]
    # "£2.5m." at a sentence end: spaCy keeps the full stop on the suffix token.
    last_len = len(last.text) - (1 if last.text.endswith(".") and last.text[:-1].lower() in SUFFIXES else 0)
    start, end = doc[start_tok].idx, last.idx + last_len
    span_text = "".join(t.text_with_ws for t in doc[start_tok:end_tok])[: end - start]
    return Figure(
        value=c.value,
        value_max=c.value_max,
        text=span_text,
        counts=counts,
        category=category,
        qualifier=c.qualifier,
        location=_location(places, span),
        role=_role(span, verb, noun, category),
        sentence=sent.text.strip(),
        field=field,
        start=base + start,
        end=base + end,
    )


def _root(span: Span) -> Token:
    return next((t for t in span if not (span.start <= t.head.i < span.end) or t.head == t), span[-1])


def _counted_noun(span: Span) -> Token | None:
    """The noun a number modifies ("2,500 [members]") or its "of" object ("thousands of [people]")."""
    root = _root(span)
    head = root.head
    if root.dep_ in ("nummod", "quantmod", "compound", "amod", "nmod") and head.pos_ in ("NOUN", "PROPN") and head.i >= span.end:
        return head
    of_object = _of_child(root)
    if of_object is not None:
        return of_object
    if root.pos_ == "NOUN" and root.lower_ in PERCENT_TOKENS:
        return root
    return None


def _of_child(token: Token) -> Token | None:
    for child in token.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            return next((g for g in child.children if g.dep_ == "pobj"), None)
    return None


def _of_object(noun: Token) -> str:
    target = _of_child(noun)
    return _noun_phrase(noun.doc, target.left_edge.i, target) if target is not None else ""


def _noun_phrase(doc: Doc, start: int, noun: Token) -> str:
    left = max(start, noun.left_edge.i)
    tokens = [t for t in doc[left : noun.i + 1] if t.dep_ not in ("det", "punct") and not _numberish(t)]
    while tokens and tokens[0].lower_ in ("of", "the", "a", "an"):
        tokens.pop(0)
    return " ".join(t.text for t in tokens)


def _governing_verb(token: Token) -> Token | None:
    """The verb (or predicative adjective) the figure's clause is about."""
    for _ in range(5):
        if token.pos_ in ("VERB", "AUX") or token.lemma_.lower() in lexicon.KILLED_WORDS | lexicon.INJURED_WORDS:
            return token
        if token.head == token:
            return None
        token = token.head
    return None


def _elided_counts(previous: list[Figure], verb: Token | None) -> str:
    """A bare number inherits what its neighbour counts, or the changed verb's object."""
    if previous and previous[-1].counts:
        return previous[-1].counts
    if verb is None or verb.lemma_.lower() not in lexicon.CHANGE_VERBS | lexicon.MOVE_VERBS:
        return ""
    # The thing changed: the object of "cut troop levels", the subject of "troop levels fell".
    for dep in ("dobj", "nsubjpass", "nsubj"):
        child = next((c for c in verb.children if c.dep_ == dep and c.pos_ in ("NOUN", "PROPN")), None)
        if child is not None:
            return _noun_phrase(child.doc, child.left_edge.i, child)
    return ""


def _is_money(doc: Doc, c: _Candidate) -> bool:
    before = doc[c.start - 1].lower_ if c.start > 0 else ""
    after = doc[c.end].lemma_.lower() if c.end < len(doc) else ""
    return before in CURRENCY_SIGNS or after in lexicon.MONEY_WORDS or doc[c.start].ent_type_ == "MONEY"


def _percent_width(doc: Doc, i: int) -> int:
    """How many tokens at ``i`` say "percent": "%", "percent", "per cent", "percentage point(s)"."""
    if i >= len(doc):
        return 0
    if doc[i].lower_ in PERCENT_TOKENS:
        return 1
    if i + 1 < len(doc) and (doc[i].lower_, doc[i + 1].lemma_.lower()) in (("per", "cent"), ("percentage", "point")):
        return 2
    return 0


def _is_percent(doc: Doc, c: _Candidate, noun: Token | None) -> bool:
    return _percent_width(doc, c.end) > 0 or (noun is not None and noun.lower_ in PERCENT_TOKENS)


def _category(counts: str, noun: Token | None, verb: Token | None, money: bool, percent: bool) -> FigureCategory:
    if percent:  # before money: "40 per cent" ends in "cent"
        return "percent"
    if money:
        return "money"
    cues = {t.lemma_.lower() for t in ([verb] if verb is not None else [])}
    if noun is not None:
        cues |= {noun.lemma_.lower()} | {c.lemma_.lower() for c in noun.children if c.dep_ in ("acl", "amod", "relcl")}
    if cues & lexicon.KILLED_WORDS:
        return "killed"
    if cues & lexicon.INJURED_WORDS:
        return "injured"
    words = counts.lower()
    lemmas = {w.rstrip("s") for w in words.split()} | {words, words.rstrip("s")}
    if lemmas & lexicon.TROOP_NOUNS or "service member" in words:
        return "troops"
    if lemmas & lexicon.KILLED_WORDS:
        return "killed"
    if lemmas & lexicon.PEOPLE_NOUNS or "people" in words:
        return "people"
    return "other"


def _location(sentence_places: list[Span], span: Span) -> str | None:
    """The place the clause is about: a place named after a preposition, nearest first."""
    places = [e for e in sentence_places if not _is_modifier(e.root)]
    if not places:
        return None
    # Anchored by a preposition ("in Iraq"), else the clause's subject ("Iraq has 2,500 ...").
    pool = [e for e in places if _anchored(e.root)] or [e for e in places if e.root.dep_ in ("nsubj", "nsubjpass")]
    if not pool:
        return None

    def distance(ent: Span) -> tuple[int, int]:
        gap = ent.start - span.end if ent.start >= span.end else span.start - ent.end
        return (gap, 0 if ent.start >= span.end else 1)

    return min(pool, key=distance).text


def _anchored(token: Token) -> bool:
    """"in Iraq", "from Germany", but not "according to the Pentagon"."""
    prep = token.head
    return token.dep_ == "pobj" and prep.lower_ in PLACE_PREPOSITIONS and prep.head.lower_ != "according"


def _is_modifier(token: Token) -> bool:
    """"US" in "US service members" or "Iraq's" name an actor, not where something is."""
    return token.dep_ in ("compound", "amod", "poss", "nmod") and token.head.pos_ in ("NOUN", "PROPN")


def _role(span: Span, verb: Token | None, noun: Token | None, category: FigureCategory) -> FigureRole:
    root = _root(span)
    prep = root.head.lower_ if root.dep_ == "pobj" else ""
    changing = verb is not None and verb.lemma_.lower() in lexicon.CHANGE_VERBS
    if changing and prep == "to":
        return "level"
    if changing and prep == "from":
        return "previous_level"
    if changing and prep == "by":
        return "change"
    lemma = verb.lemma_.lower() if verb is not None else ""
    if noun is not None and noun.head == verb:
        # "withdraw 12,000 troops", "12,000 troops will withdraw", "3,000 troops were cut"
        if lemma in lexicon.MOVE_VERBS and noun.dep_ in ("dobj", "nsubjpass", "nsubj"):
            return "change"
        if lemma in lexicon.CHANGE_VERBS and noun.dep_ in ("dobj", "nsubjpass"):
            return "change"
    return "level" if category == "troops" else "other"
