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
from .places import UNIT_WORDS, names_no_setting

# A number inside a site's name ("Tower 22", "Air Base 201") counts nothing.
NOT_FIGURE_ENTS = {"DATE", "TIME", "ORDINAL", "FAC"}
PLACE_ENTS = {"GPE", "LOC", "FAC"}
DATELINE_DASHES = {"—", "–", "--"}
PLACE_PREPOSITIONS = {"in", "from", "to", "across", "inside", "within", "into", "at", "throughout", "near", "outside",
                      "around", "toward", "towards", "through", "across"}
CURRENCY_SIGNS = set(lexicon.CURRENCY_SIGNS)
PERCENT_TOKENS = {"%", "percent", "pct"}
# "250 more", "another 350", "a further 1,000", "500 additional": an addition, not a level.
ADDED_WORDS = {"more", "additional", "another", "further", "extra", "fresh"}
# "the number of troops" counts troops.
QUANTITY_NOUNS = {"number", "level", "total", "size", "strength", "count", "tally"}
# "all of its 1,000 personnel", "some of the 500".
PARTITIVES = {"all", "some", "most", "many", "half", "each", "both", "none"}
PRONOUNS = {"them", "those", "these", "they"}
_AUXILIARIES = {"were", "was", "have", "has", "had", "been", "being", "are", "is", "reportedly", "also", "later"}
DISTRIBUTIVE = {"each", "both", "apiece"}
TIME_NOUNS = {"year", "month", "week", "day", "decade", "century", "summer", "winter", "spring", "autumn", "fall"}
TIME_DETERMINERS = {"last", "this", "next", "previous", "same", "that", "a"}
_PHONE = re.compile(r"^\+?\(?\d[\d()\-. ]{5,}\d$")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
_QUALIFIERS: list[tuple[str, Qualifier]] = sorted(
    [(p, "approx") for p in lexicon.APPROX]
    + [(p, "at_least") for p in lexicon.AT_LEAST]
    + [(p, "at_most") for p in lexicon.AT_MOST],
    key=lambda pair: -len(pair[0]),
)


@dataclass(frozen=True)
class Found:
    """A figure and, as written, whose troops or people it counts ("US", "Britain", "Kyiv")."""

    figure: Figure
    actor: str | None
    # Only the nationality written in the counted phrase ("Iraqi soldiers"): for casualties the
    # clause's subject is more often the killer than the killed.
    nationality: str | None = None
    # The place that is the clause's subject ("Bahrain ... has 9,000 American personnel"): where
    # foreign troops are when no other place is named; the caller, which knows countries, decides.
    subject_place: str | None = None
    # For "in the country" / "there": places named before the figure, the most recent first.
    prior_places: tuple[str, ...] = ()
    # "in Afghanistan and Iraq have each been reduced to 2,500": the same figure holds in these too.
    also_places: tuple[str, ...] = ()


@dataclass
class _Candidate:
    start: int  # token index, number span only
    end: int
    value: float
    value_max: float | None = None
    qualifier: Qualifier = "exact"


def extract_figures(doc: Doc, field: TextField = "body", base: int = 0) -> list[Figure]:
    """Every counting number in ``doc``; ``base`` is added to character offsets."""
    return [found.figure for found in find_figures(doc, field, base)]


def find_figures(doc: Doc, field: TextField = "body", base: int = 0,
                 unread: list[str] | None = None) -> list[Found]:
    """Figures with, as written, whose troops or people each counts.

    A number whose reading raises is skipped, and why is appended to ``unread`` when given: one
    odd sentence costs that figure, not the article's other figures.
    """
    found: list[Found] = []
    # Span.ents scans every entity of the doc; bucketing once keeps long texts linear.
    places: dict[int, list[Span]] = {}
    for ent in doc.ents:
        if ent.label_ in PLACE_ENTS and not names_no_setting(ent):
            places.setdefault(ent.sent.start, []).append(ent)
    last: Found | None = None
    last_place: str | None = None
    for sent in doc.sents:
        previous: list[Found] = []
        candidates = _candidates(sent)
        for candidate in candidates:
            others = [o for o in candidates if o is not candidate]
            try:
                item = _figure(sent, candidate, previous, field, base, places.get(sent.start, []), others, last, last_place)
            except Exception as exc:  # noqa: BLE001 - the boundary is the figure; the caller counts it
                if unread is not None:
                    unread.append(_unread(doc, candidate, field, base, exc))
                continue
            previous.append(item)
            last_place = item.figure.location or last_place
            last = item if item.figure.counts else last
        found.extend(previous)
    return found


def _unread(doc: Doc, c: _Candidate, field: TextField, base: int, exc: Exception) -> str:
    return unread_note(doc[c.start : c.end].text, field, base + doc[c.start].idx, exc)


def unread_note(text: str, field: TextField, at: int, exc: Exception) -> str:
    """Why a number was skipped, naming it and where it is: "'Seven' at body character 48: IndexError: ..."."""
    return f"{text!r} at {field} character {at}: {type(exc).__name__}: {exc}"


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
    if end < len(doc) and doc[end].text[:1].isupper() and doc[end].lower_ in UNIT_WORDS:
        return True  # "45 Commando", "3 Squadron": a unit's name
    # "one" as a pronoun ("including one that killed ...") counts nothing.
    return tokens.text.lower() == "one" and head.dep_ != "nummod" and tokens[0].ent_type_ != "CARDINAL"


def _is_age(doc: Doc, start: int, end: int) -> bool:
    after = " ".join(t.lower_ for t in doc[end : end + 4])
    before = doc[start - 1].lower_ if start > 0 else ""
    return before in ("aged", "age") or bool(re.match(r"^(?:- )?years? (?:- )?old|^-year-old", after))


# A phone number is a few groups and their separators: looking further than this for its
# other parts made a run of bare numbers quadratic (109 KB of numbers took 355 s).
PHONE_REACH = 12


def _is_phone(doc: Doc, start: int, end: int) -> bool:
    """Digit groups joined by spaces, hyphens, dots or brackets, 7+ digits and no commas."""
    left, right = start, end
    while left > max(0, start - PHONE_REACH) and _phone_part(doc[left - 1]):
        left -= 1
    while right < min(len(doc), end + PHONE_REACH) and _phone_part(doc[right]):
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
    if start > sent.start and sent.doc[start - 1].lower_ in CURRENCY_SIGNS:
        start -= 1  # "more than $43bn"
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


def _figure(sent: Span, c: _Candidate, previous: list[Found], field: TextField, base: int,
            places: list[Span], others: list[_Candidate], last: Found | None, last_place: str | None) -> Found:
    doc = sent.doc
    span = doc[c.start : c.end]
    noun = _counted_noun(span)
    # "10,000 of them": what the previous figure counted, and whose they were
    antecedent = last if noun is not None and noun.lower_ in PRONOUNS else None
    noun_text = antecedent.figure.counts if antecedent is not None else ""
    arg = _argument(span, noun)
    verbs = _clause_verbs(arg)
    money, percent = _is_money(doc, c), _is_percent(doc, c, noun)
    counts = noun_text or (_noun_phrase(doc, c.end, noun) if noun is not None and not percent else "")
    if percent and noun is not None:
        counts = _of_object(noun)
    elided = False
    if money and not percent:
        counts = ""  # "a €3bn increase" counts euros, not increases
    if not counts and not money and not percent:
        counts, elided = _elided_counts(previous, verbs), True
        if not counts and _casualty_word(doc, c.end):
            counts, elided = doc[c.end].text, False  # "40,000 to 60,000 dead"
    category = _category(doc, c, counts, noun, verbs, money, percent)
    if antecedent is not None and category == "other":
        category = antecedent.figure.category
    if category not in ("killed", "injured") and previous and _included_in(arg, previous[-1]):
        category = previous[-1].figure.category  # "170 people, including 13 US service members, were killed"
    start_tok = c.start - 1 if c.start > 0 and doc[c.start - 1].lower_ in CURRENCY_SIGNS else c.start
    end_tok = c.end + _percent_width(doc, c.end)
    last = doc[end_tok - 1]
    # "£2.5m." at a sentence end: spaCy keeps the full stop on the suffix token.
    last_len = len(last.text) - (1 if last.text.endswith(".") and last.text[:-1].lower() in SUFFIXES else 0)
    start, end = doc[start_tok].idx, last.idx + last_len
    span_text = "".join(t.text_with_ws for t in doc[start_tok:end_tok])[: end - start]
    location = _location(span, verbs, places, others, category)
    also = _each_of(sent, location, places)
    prior: tuple[str, ...] = ()
    if location is None and verbs and _refers_back(_scope(verbs[0]), category):
        # "in the country", "there": the place named before; the caller skips the owner's country
        prior = _places_before(doc, span.start, last_place)
    if location is None and antecedent is not None:
        location = antecedent.figure.location  # "half of them": where they are
    inherits = previous and (elided or arg.dep_ == "conj")
    if location is None and inherits:
        location = previous[-1].figure.location
    nationality = _country_phrase(noun, own=True) if noun is not None else None
    if nationality is None and noun is not None and any(c.dep_ == "poss" and c.lower_ in ("its", "their") for c in noun.children):
        nationality = _actor(arg, verbs)  # "13 of its soldiers": the subject's own
    if nationality is None and verbs and _scope(verbs[0]).lemma_.lower() in lexicon.LOSS_VERBS:
        nationality = _actor(arg, verbs)  # "Russia has suffered 40,000 dead"
    if antecedent is not None:
        nationality = nationality or antecedent.nationality
    actor = nationality or _actor(arg, verbs)
    if inherits:
        actor = actor or previous[-1].actor
        nationality = nationality or previous[-1].nationality
    figure = Figure(
        value=c.value,
        value_max=c.value_max,
        text=span_text,
        counts=counts,
        category=category,
        qualifier=c.qualifier,
        location=location,
        role=_role(doc, c, arg, noun, verbs, category),
        sentence=sent.text.strip(),
        field=field,
        start=base + start,
        end=base + end,
    )
    return Found(figure, actor, nationality, _subject_place(verbs), prior, also)


def _root(span: Span) -> Token:
    return next((t for t in span if not (span.start <= t.head.i < span.end) or t.head == t), span[-1])


def _counted_noun(span: Span) -> Token | None:
    """The noun a number modifies ("2,500 [members]") or its "of" object ("thousands of [people]")."""
    noun = _counted_token(span)
    if noun is None or noun.is_space:
        return None
    # A number ending a paragraph counts nothing of the next one ("Series 4\n\nGruber's review").
    between = span.doc[min(span.end, noun.i) : max(span.start, noun.i)]
    return None if any(t.is_space and "\n" in t.text for t in between) else noun


def _counted_token(span: Span) -> Token | None:
    root = _root(span)
    head = root.head
    if head.lower_ in ("strong", "member", "man", "person") and head.dep_ in ("amod", "compound") and head.i == span.end + 1:
        return head.head  # "a 3,000-strong brigade", "the ship's 20-member crew"
    while head.pos_ == "NUM" and head.dep_ == "nummod" and head.head != head:
        head = head.head  # "six F-35A fighter jets"
    if root.dep_ in ("nummod", "quantmod", "compound", "amod", "nmod") and head.pos_ in ("NOUN", "PROPN") and head.i >= span.end:
        if head.lemma_.lower() in TIME_NOUNS and any(c.lower_ in TIME_DETERMINERS for c in head.children):
            return None  # "up from 500 last year": the year is when, not what is counted
        return head
    of_object = _of_child(root)
    if of_object is not None:
        return of_object
    if root.pos_ == "NOUN" and root.lower_ in PERCENT_TOKENS:
        return root
    return None


def _argument(span: Span, noun: Token | None) -> Token:
    """The token that stands for the counted phrase in its clause ("troops" in "send 2,500 troops")."""
    root = _root(span)
    # "2,500 troops", "a 350-strong contingent", "six F-35A jets": the noun above the number
    token = noun if noun is not None and noun in root.ancestors else root
    for _ in range(4):
        if token.dep_ == "conj" and token.head.pos_ in ("NOUN", "PROPN", "NUM", "PRON"):
            token = token.head  # "a dozen aircraft and 300 airmen": the first conjunct's place
        elif token.dep_ == "pobj" and token.head.lower_ == "of" and (
                token.head.head.lower_ in PARTITIVES or token.head.head.lemma_.lower() in lexicon.TROOP_NOUNS):
            token = token.head.head  # "all of its 1,000 personnel", "station a brigade of 4,000 soldiers"
        else:
            break
    return token


def _clause_verbs(token: Token) -> list[Token]:
    """The verb the figure's clause is about, then the verbs it reports or embeds
    ("are believed to have been killed" -> believe, kill)."""
    verb = _governing_verb(token)
    if verb is None:
        return []
    verbs = [verb]
    # "double the number of its troops rotating through X to 1,000": the change is further up.
    if _verb_key(verb) not in lexicon.CHANGE_VERBS | lexicon.MOVE_VERBS and verb.dep_ == "acl":
        changer = next((a for a in list(verb.ancestors)[:4] if _is_verb(a)), None)
        if changer is not None and _verb_key(changer) in lexicon.CHANGE_VERBS | lexicon.MOVE_VERBS:
            verbs.append(changer)
    while verb.lemma_.lower() in lexicon.EMBEDDING_VERBS:
        inner = next((c for c in verb.children if c.dep_ in ("xcomp", "ccomp") and c.pos_ in ("VERB", "AUX")), None)
        if inner is None:
            break
        verbs.append(inner)
        verb = inner
    return verbs


def _of_child(token: Token) -> Token | None:
    for child in token.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            return next((g for g in child.children if g.dep_ == "pobj"), None)
    return None


def _of_object(noun: Token) -> str:
    target = _of_child(noun)
    return _noun_phrase(noun.doc, target.left_edge.i, target) if target is not None else ""


def _noun_phrase(doc: Doc, start: int, noun: Token) -> str:
    if noun.lemma_.lower() in QUANTITY_NOUNS and _of_child(noun) is not None:
        target = _of_child(noun)  # "the number of troops" counts troops
        return _noun_phrase(doc, target.left_edge.i, target)
    left = max(start, noun.left_edge.i)
    tokens = [t for t in doc[left : noun.i + 1]
              if t.dep_ not in ("det", "punct", "poss") and not t.is_space and not _numberish(t)]
    while tokens and tokens[0].lower_ in {"of", "the", "a", "an"} | ADDED_WORDS:
        tokens.pop(0)
    return " ".join(t.text for t in tokens)


def _governing_verb(token: Token) -> Token | None:
    """The verb (or predicative adjective) the figure's clause is about."""
    for _ in range(6):
        if _is_verb(token) or token.lemma_.lower() in lexicon.KILLED_WORDS | lexicon.INJURED_WORDS:
            return token
        if token.head == token:
            return None
        token = token.head
    return None


def _is_verb(token: Token) -> bool:
    """A verb heading a clause; "including" and "according" are tagged verbs but work as prepositions."""
    return token.pos_ in ("VERB", "AUX") and token.dep_ != "prep"


def _scope(token: Token) -> Token:
    """The clause the figure is in: its nearest verb, else the sentence root."""
    for candidate in [token, *token.ancestors]:
        if _is_verb(candidate):
            return candidate
    return token.sent.root


def _elided_counts(previous: list[Found], verbs: list[Token]) -> str:
    """A bare number inherits what its neighbour counts, or the changed verb's object."""
    if previous and previous[-1].figure.counts:
        return previous[-1].figure.counts
    for verb in verbs:
        key = _verb_key(verb)
        if key not in lexicon.CHANGE_VERBS | lexicon.MOVE_VERBS:
            continue
        # The thing changed: the object of "cut troop levels", the subject of "troop levels fell"
        # (not of "Australia will send": the subject of a move is who moves them).
        if verb.dep_ == "acl" and verb.head.pos_ == "NOUN":
            # "... the number of American troops stationed in Germany to 25,000": the troops
            return _noun_phrase(verb.doc, verb.head.left_edge.i, verb.head)
        deps = ("dobj", "nsubjpass", "nsubj") if key in lexicon.CHANGE_VERBS else ("dobj", "nsubjpass")
        for dep in deps:
            child = next((c for c in verb.children if c.dep_ == dep and c.pos_ in ("NOUN", "PROPN")), None)
            if child is not None:
                return _noun_phrase(child.doc, child.left_edge.i, child)
    return ""


def _verb_key(verb: Token) -> str:
    """Lemma with its particle: "call up", "pull out"."""
    particle = next((c.lower_ for c in verb.children if c.dep_ == "prt"), None)
    lemma = verb.lemma_.lower()
    return f"{lemma} {particle}" if particle else lemma


def _casualty_word(doc: Doc, i: int) -> str | None:
    """"12,000 injured", "dozens wounded", "60,000 dead", "2,100 were wounded": the words right
    after say what happened."""
    while i < len(doc) and doc[i].lower_ in _AUXILIARIES:
        i += 1
    if i >= len(doc):
        return None
    lemma = doc[i].lemma_.lower()
    if lemma in lexicon.KILLED_WORDS or doc[i].lower_ in lexicon.KILLED_WORDS:
        return "killed"
    if lemma in lexicon.INJURED_WORDS or doc[i].lower_ in lexicon.INJURED_WORDS:
        return "injured"
    return None


def _included_in(arg: Token, previous: Found) -> bool:
    """"170 people, including 13 service members": the second is part of the first."""
    return arg.dep_ == "pobj" and arg.head.lower_ in ("including", "among")


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


def _category(doc: Doc, c: _Candidate, counts: str, noun: Token | None, verbs: list[Token],
              money: bool, percent: bool) -> FigureCategory:
    if percent:  # before money: "40 per cent" ends in "cent"
        return "percent"
    if money:
        return "money"
    right_after = _casualty_word(doc, c.end)
    if right_after:
        return right_after  # type: ignore[return-value]
    cues = {v.lemma_.lower() for v in verbs}
    if noun is not None:
        cues |= {noun.lemma_.lower()} | {c.lemma_.lower() for c in noun.children if c.dep_ in ("acl", "amod", "relcl")}
    if cues & lexicon.KILLED_WORDS:
        return "killed"
    if cues & lexicon.INJURED_WORDS:
        return "injured"
    words = counts.lower()
    # The head noun decides ("fighter jets" are jets); a few phrases count troops whatever their head.
    head = words.split()[-1] if words.strip() else ""
    lemmas = {head, head.rstrip("s"), words, words.rstrip("s")}
    if noun is not None and noun.lower_ == head:
        lemmas.add(noun.lemma_.lower())
    if lemmas & lexicon.TROOP_NOUNS or any(p in words for p in lexicon.TROOP_PHRASES):
        return "troops"
    if lemmas & lexicon.KILLED_WORDS:
        return "killed"
    if lemmas & lexicon.PEOPLE_NOUNS or head == "people" or (noun is not None and noun.ent_type_ == "NORP"):
        return "people"
    return "other"


def _location(span: Span, verbs: list[Token], places: list[Span], others: list[_Candidate],
              category: FigureCategory) -> str | None:
    """The place the figure's clause is about: a place named after a preposition within
    that clause, nearest first; not where a speaker was ("officials said in Tokyo").
    Troops and casualties also look into the clauses below ("killed when ... near Timbuktu")."""
    scope = _scope(verbs[0]) if verbs else span.sent.root
    while scope.tag_ == "VBG" and scope.dep_ in ("advcl", "conj") and scope.head != scope:
        scope = _scope(scope.head)  # "struck a ship in the Red Sea, killing three and injuring two"
    # The tagger takes "hosts" for a plural noun now and then: the hosting word, whatever its tag.
    own_verb = next((t for t in span.root.ancestors if t.pos_ in ("VERB", "AUX") or t.lemma_.lower() in lexicon.HOST_VERBS),
                    None)
    host = _host(scope) or (_host(own_verb) if own_verb is not None else None) or _described_place(span)
    if host is not None:
        return host
    deep = category in ("troops", "killed", "injured")
    scoped = [p for p in places if (p.root == scope or scope in p.root.ancestors) and not _is_modifier(p.root)
              and (deep or _scope(p.root) == scope) and not _under_other_object(p.root, scope)]
    # "181 people from Bangkok": where people came from is not where they are; troops leaving
    # a place are counted there (the decrease is at the origin).
    pool = [p for p in scoped if _anchored(p.root) and not _speaker_place(p.root)
            and (category == "troops" or not (p.root.dep_ == "pobj" and p.root.head.lower_ == "from"))]
    if not pool:  # "an offensive to retake Mosul"
        pool = [p for p in scoped if p.root.dep_ == "dobj" and p.root.head.lemma_.lower() in lexicon.TARGET_VERBS]
    if not pool and scope.dep_ == "relcl" and any(c.lower_ == "where" for c in scope.children):
        head = scope.head  # "Poland, where 10,000 troops are based"
        pool = [p for p in places if p.start <= head.i < p.end]
    # "in Kramatorsk, a city in Donetsk Oblast": the appositive only says where the city lies.
    pool = [p for p in pool if not _places_a_place(p.root)] or pool
    if not pool:
        return None

    def distance(ent: Span) -> tuple[int, int, int]:
        after = ent.start >= span.end
        gap = ent.start - span.end if after else span.start - ent.end
        lo, hi = (span.end, ent.start) if after else (ent.end, span.start)
        crossed = sum(1 for o in others if lo <= o.start and o.end <= hi)
        return (crossed, gap, 0 if after else 1)

    best = min(pool, key=distance)
    return _contained(best, places).text


# "at Cincu in central Romania", "Tapa, in northern Estonia": what comes between a place and the
# wider place it lies in.
_LIES_IN = re.compile(r"^\s*,?\s+in\s+(?:the\s+)?(?:(?:north|south|east|west|central|northern|southern|eastern|"
                      r"western|north-?eastern|north-?western|south-?eastern|south-?western)\s+)?$", re.I)


def _contained(place: Span, places: list[Span]) -> Span:
    """The place named just before ``place`` as lying in it, if any: the most specific of the two."""
    doc = place.doc
    inner = next((q for q in places if q.end <= place.start and place.start - q.end <= 4
                  and _LIES_IN.match(q[-1].whitespace_ + doc[q.end : place.start].text_with_ws)), None)
    return inner or place


def _under_other_object(token: Token, scope: Token) -> bool:
    """The place is in a clause joined to the figure's that acts on a thing of its own: "cut its
    force to 3,000 and moved its headquarters to Niamey" (Niamey is the headquarters')."""
    for ancestor in token.ancestors:
        if ancestor == scope:
            return False
        if ancestor.dep_ == "conj" and ancestor.pos_ == "VERB" and any(c.dep_ == "dobj" for c in ancestor.children):
            return True
    return False


def _places_a_place(token: Token) -> bool:
    """The name is in an appositive describing another place: "Tower 22, a base in Jordan"."""
    prep = token.head
    if token.dep_ != "pobj" or prep.dep_ != "prep":
        return False
    noun = prep.head
    return noun.dep_ == "appos" and noun.head.ent_type_ in PLACE_ENTS


def _places_before(doc: Doc, before: int, last_place: str | None) -> tuple[str, ...]:
    named = [e.text for e in reversed(doc.ents) if e.end <= before and e.label_ in PLACE_ENTS]
    if last_place:
        named.append(last_place)
    return tuple(dict.fromkeys(named))[:6]


def _each_of(sent: Span, location: str | None, places: list[Span]) -> tuple[str, ...]:
    """Places coordinated with the figure's place when the sentence says the figure holds for each."""
    if not location or not any(t.lower_ in DISTRIBUTIVE for t in sent):
        return ()
    chosen = next((p for p in places if p.text == location), None)
    if chosen is None:
        return ()
    return tuple(p.text for p in places if p is not chosen and p.root.dep_ == "conj" and p.root.head.i == chosen.root.i)


def _refers_back(scope: Token, category: FigureCategory) -> bool:
    """"in the country", "across the territory", "there": a place named earlier."""
    for token in scope.subtree:
        if token.lower_ == "there" and token.dep_ == "advmod" and token.head == scope:
            return True
        if (token.lemma_.lower() in lexicon.PLACE_ANAPHORS and token.dep_ == "pobj" and _anchored(token)
                and any(c.lower_ == "the" for c in token.children) and _of_child(token) is None):
            return category != "other" or _scope(token) == scope
    return False


def _subject_place(verbs: list[Token]) -> str | None:
    if not verbs:
        return None
    scope = _scope(verbs[0])
    if scope.lemma_.lower() not in ("have", "keep", "maintain"):
        return None
    subject = next((c for c in scope.children if c.dep_ == "nsubj"), None)
    return _ent_text(subject) if subject is not None and subject.ent_type_ == "GPE" else None


def _host(verb: Token) -> str | None:
    """"Qatar hosts 10,000 US troops": the subject of a hosting verb is where they are."""
    if verb.lemma_.lower() not in lexicon.HOST_VERBS:
        return None
    subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if subject is None and verb.dep_ == "conj":
        # "Tower 22 lies in Jordan's north-eastern corner ... and hosts about 350 US troops"
        subject = next((c for c in verb.head.children if c.dep_ == "nsubj"), None)
    if subject is not None and subject.lower_ in ("which", "that") and verb.dep_ == "relcl":
        subject = verb.head  # "Poland, which hosts about 4,500 US troops"
    if subject is None or subject.ent_type_ not in ("GPE", "LOC", "FAC"):
        return None
    return _ent_text(subject)


def _described_place(span: Span) -> str | None:
    """"Lithuania, a country of 2.8 million people": the place an appositive holding the figure
    describes (not through a verb: "France, which withdrew its 1,500 troops from Niger")."""
    token = span.root
    for _ in range(4):  # the number, its noun, "of", the appositive's noun
        # (a dateline is no place described: "DUHOK, Kurdistan Region — A convoy of 100 vehicles")
        if token.dep_ == "appos" and token.head.ent_type_ in PLACE_ENTS and \
                not any(t.text in DATELINE_DASHES for t in token.doc[token.head.i : token.i]):
            return _ent_text(token.head)
        if token.head == token or token.head.pos_ in ("VERB", "AUX"):
            return None
        token = token.head
    return None


def _anchored(token: Token) -> bool:
    """"in Iraq", "near Timbuktu", "north of Baghdad", "out of Niger", "outside Kabul airport",
    "its Sahel force" (a region owns nothing: the force is there); not "according to the Pentagon"."""
    if token.dep_ == "compound" and token.ent_type_ == "LOC" and token.head.lemma_.lower() in lexicon.TROOP_NOUNS:
        return True
    if token.dep_ == "compound" and token.head.lemma_.lower() in lexicon.SITE_NOUNS:
        if _of_child(token.head) is not None:
            return False  # "the Gaza city of Rafah" is about Rafah
        token = token.head
    if token.dep_ != "pobj":
        return False
    prep = token.head
    if prep.lower_ == "of":
        site = prep.head
        if site.lemma_.lower() in lexicon.SITE_NOUNS:
            # "in the southern city of Kherson", "the department of Cauca", "patrolling the port city of Guayaquil"
            return _anchored(site) or (site.dep_ == "dobj" and site.head.lemma_.lower() in lexicon.TARGET_VERBS)
        return site.lower_ in lexicon.DIRECTIONS or site.lower_ == "out"
    if prep.lower_ == "on":
        return prep.head.lemma_.lower() in lexicon.ATTACK_NOUNS  # "the strike on Kharkiv"
    return prep.lower_ in PLACE_PREPOSITIONS and prep.head.lower_ != "according"


def _speaker_place(token: Token) -> bool:
    """"said in Tokyo", "officials in Manila said", "an agreement announced in Niamey"."""
    holder = token.head.head
    if holder.lemma_.lower() in lexicon.REPORTING_VERBS:
        return True
    return holder.dep_ == "nsubj" and holder.head.lemma_.lower() in lexicon.REPORTING_VERBS


def _is_modifier(token: Token) -> bool:
    """"US" in "US service members" or "Iraq's" name an actor, not where something is (a
    region names where: "its Sahel force")."""
    if token.dep_ == "compound" and (token.head.lemma_.lower() in lexicon.SITE_NOUNS or token.ent_type_ == "LOC"):
        return False
    return token.dep_ in ("compound", "amod", "poss", "nmod") and token.head.pos_ in ("NOUN", "PROPN")


def _actor(arg: Token, verbs: list[Token]) -> str | None:
    """Whose troops, as written, when the counted phrase does not say: the subject of the
    clause that has them ("Britain will send", "France keeps", "Russia, which has")."""
    verb = verbs[0] if verbs else None
    for _ in range(4):
        if verb is None:
            return None
        # The subject nearest the verb: "TALLINN, Estonia — Britain will send" is Britain's.
        subject = max((c for c in verb.children if c.dep_ in ("nsubj", "expl") and c.i < verb.i),
                      key=lambda c: c.i, default=None)
        if subject is not None and subject.lower_ in ("which", "that", "who") and verb.dep_ == "relcl":
            subject = verb.head
        if subject is not None and subject.pos_ != "PRON" and subject.dep_ != "expl":
            return _country_phrase(subject, own=False)
        if verb.dep_ not in ("advcl", "xcomp", "ccomp", "conj", "relcl") or verb.head == verb:
            return None
        verb = verb.head
    return None


def _country_phrase(token: Token, own: bool) -> str | None:
    """The place or nationality a noun phrase names: itself ("Britain", "Canadians") or a
    modifier ("US troops", "Iraq's army", "the Israeli military")."""
    if token.ent_type_ in ("GPE", "NORP"):
        return _ent_text(token)
    for child in token.children:
        if child.dep_ in ("compound", "amod", "poss", "nmod") and child.ent_type_ in ("GPE", "NORP"):
            return _ent_text(child)
    for child in token.children:
        # "Malian soldiers" when NER missed the adjective: the canonicaliser decides.
        if child.dep_ in ("compound", "amod") and child.text[:1].isupper() and child.pos_ in ("ADJ", "PROPN"):
            return child.text
    if not own and token.pos_ == "PROPN":
        return _ent_text(token)  # "the Pentagon", "Kyiv": the canonicaliser decides if it stands for a country
    return None


def _ent_text(token: Token) -> str:
    ent = next((e for e in token.doc.ents if e.start <= token.i < e.end), None)
    return ent.text if ent is not None else token.text


ASPECT_VERBS = {"begin", "start", "continue", "resume", "finish"}


def _role(doc: Doc, c: _Candidate, arg: Token, noun: Token | None, verbs: list[Token],
          category: FigureCategory) -> FigureRole:
    if category != "troops":
        return "other"
    lead, before_lead = _lead_words(doc, c)
    changing = any(_verb_key(v) in lexicon.CHANGE_VERBS for v in verbs) or _ancestor_changes(arg)
    if lead == "from" and (before_lead in ("down", "up") or changing or _range_follows(doc, c)):
        return "previous_level"
    if lead == "to" and changing:
        return "level"
    if lead == "by" and changing:
        return "change"
    if _added(doc, c, noun):
        return "change"
    key = _verb_key(verbs[0]) if verbs else ""
    if arg.lemma_.lower() in lexicon.MOVE_NOUNS or (
            arg.dep_ == "pobj" and arg.head.lower_ == "of" and arg.head.head.lemma_.lower() in lexicon.MOVE_NOUNS):
        return "change"  # "the deployment of 300 airmen" (the parser may hang them on "deployment")
    if verbs and verbs[0].lemma_.lower() == "leave" and verbs[0].tag_ == "VBG" and verbs[0].dep_ in ("advcl", "xcomp", "conj"):
        return "level"  # "..., leaving roughly 2,000 there": what remains
    if verbs and arg.head == verbs[0]:
        verb = _through_aspect(verbs[0])
        key = _verb_key(verb)
        # Posted somewhere is a level ("stationed in Korea", "will station 4,000 in Lithuania": the
        # level it will be, as other outlets tell it: "raise its presence to 4,000", "will keep
        # 4,000 stationed"); deployed to somewhere is troops added.
        # ... but one being posted now is troops on the way ("3,500 troops are being deployed").
        stays = key in lexicon.POSTING_VERBS and not any(
            c.dep_ == "prep" and c.lower_ in ("to", "toward", "towards", "into") for c in verb.children) \
            and not any(c.dep_ in ("aux", "auxpass") and c.lower_ == "being" for c in verb.children)
        if key in lexicon.MOVE_VERBS and not stays:
            if arg.dep_ in ("dobj", "nsubjpass") or (arg.dep_ == "nsubj" and key in lexicon.LEAVE_VERBS):
                return "change"  # "withdraw 12,000 troops", "12,000 troops will leave"
            if arg.dep_ == "nsubj" and _bound_somewhere(verb):
                return "change"  # "100 Marines will relocate to Guam", "have begun moving to Guam"
        if key in lexicon.TRAVEL_VERBS and arg.dep_ == "nsubj" and _bound_somewhere(verb):
            return "change"  # "350 Royal Marines flew to Poland"
        if key in lexicon.CHANGE_VERBS and arg.dep_ in ("dobj", "nsubjpass"):
            return "change"  # "3,000 troops were cut"
    if verbs and _before_then(verbs[0]):
        return "previous_level"  # "France had about 2,400 troops there", "200 had been stationed"
    # Bounded reads: a "sentence" of a thousand numbers must stay linear.
    near = [*(verbs[0].children if verbs else ()), *arg.children,
            *(t for r in arg.children if r.dep_ == "relcl" for t in r.children)]
    already = any(t.lower_ == "already" for t in near)
    if already and _TOTAL_RAISED.search(doc[c.end : min(c.end + 40, doc[c.start].sent.end)].text):
        # "4,500 are already there, and the addition would raise the total to 5,500", "will join
        # 4,500 troops who already rotate through the country, taking the total to 5,500"
        return "previous_level"
    return "level"


def _through_aspect(verb: Token) -> Token:
    """"have begun moving", "started to leave": the verb that says what they do."""
    if verb.lemma_.lower() in ASPECT_VERBS:
        inner = next((c for c in verb.children if c.dep_ == "xcomp" and c.pos_ == "VERB"), None)
        if inner is not None:
            return inner
    return verb


def _bound_somewhere(verb: Token) -> bool:
    """The move has a destination: "to Guam", "home", "back"."""
    return any((c.dep_ == "prep" and c.lower_ in ("to", "toward", "towards", "into", "for"))
               or (c.dep_ in ("advmod", "npadvmod") and c.lower_ in ("home", "back")) for c in verb.children)


# A later clause that moves the total: what is "already" there is the level it moves from.
_TOTAL_RAISED = re.compile(
    r"\b(?:rais|bring|brought|tak|took|lift|boost|increas|push|cut|reduc|lower)\w*\s+(?:the\s+|its\s+|their\s+)?"
    r"(?:total|number|force|presence|contingent|deployment|level|figure)\w*\s+(?:\w+\s+){0,2}?to\s+"
    r"(?:about|roughly|around|some|nearly|almost|more than|over|at least)?\s*\d", re.I)


def _before_then(verb: Token) -> bool:
    """A level that held before what the article reports: the past perfect, or 'once had'."""
    past_perfect = verb.lemma_ != "have" and any(c.dep_ in ("aux", "auxpass") and c.lower_ == "had" for c in verb.children)
    return past_perfect or any(c.lower_ in ("once", "previously", "formerly") for c in verb.children)


def _lead_words(doc: Doc, c: _Candidate) -> tuple[str, str]:
    """The word before the figure and its qualifier ("to" in "to about 2,500"), and the one before that."""
    i = c.start - 1 if c.start > 0 and doc[c.start - 1].lower_ in CURRENCY_SIGNS else c.start
    words = [t.lower_ for t in doc[max(0, i - 5) : i]]
    text = " ".join(words)
    for phrase, _ in _QUALIFIERS:
        if text == phrase or text.endswith(" " + phrase):
            words = words[: len(words) - len(phrase.split())]
            break
    return (words[-1] if words else "", words[-2] if len(words) > 1 else "")


def _range_follows(doc: Doc, c: _Candidate) -> bool:
    """"from 36,000 to 24,000": a number after "to" follows."""
    rest = [t for t in doc[c.end : c.end + 4]]
    return len(rest) > 1 and rest[0].lower_ == "to" and any(_numberish(t) for t in rest[1:])


def _ancestor_changes(token: Token) -> bool:
    """"reducing the force from 36,000 to 24,000" attaches the numbers under the verb's preposition."""
    return any(a.pos_ == "VERB" and _verb_key(a) in lexicon.CHANGE_VERBS for a in list(token.ancestors)[:4])


def _added(doc: Doc, c: _Candidate, noun: Token | None) -> bool:
    """"another 350 soldiers", "a further 1,000", "250 more", "500 additional service members"."""
    near = [t.lower_ for t in doc[max(0, c.start - 2) : c.start]] + [t.lower_ for t in doc[c.end : c.end + 2]]
    if noun is not None:
        near += [ch.lower_ for ch in noun.children if ch.dep_ in ("amod", "det", "advmod")]
    return bool(set(near) & ADDED_WORDS) and "than" not in near[:2]
