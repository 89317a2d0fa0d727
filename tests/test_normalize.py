"""Unit tests for worker.normalize: cleanup, noise, layout, dates, identity, language, normalize()."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from worker.errors import InputError
from worker.models import RawDocument
from worker.normalize import normalize
from worker.normalize.cleanup import clean_line, clean_text, paragraphs
from worker.normalize.dates import latest_date_in_text, parse_date
from worker.normalize.identity import article_id, canonical_url, content_hash, hamming, simhash
from worker.normalize.language import detect_language
from worker.normalize.layout import derived_title, split_layout
from worker.normalize.noise import byline_authors, is_caption, is_notice, split_noise

SEED = Path(__file__).parents[1] / "seeds" / "000_5ac1f38a68824bea.txt"
SEED_TITLE = "US reduction of troops in Iraq is complete, says Pentagon"
SEED_CAPTION = (
    "(FILES) In this file photo taken on December 26, 2018, US President Donald Trump and First Lady "
    "Melania Trump greet members of the US military during an unannounced trip to Al Asad Air Base in "
    "Iraq. The US military has cut troop levels in Afghanistan and Iraq to 2,500 each, their lowest "
    "levels in the nearly two decades since the wars began, the Pentagon announced on January 15, "
    "2021. / AFP / SAUL LOEB"
)
NEWS_PARAGRAPH = "There are now 2,500 US service members in Iraq and 2,500 in Afghanistan."
UTC = timezone.utc


def seed_document() -> RawDocument:
    return RawDocument(kind="text", origin=str(SEED), text=SEED.read_text(encoding="utf-8"))


# --- cleanup ----------------------------------------------------------------------


def test_clean_text_removes_control_and_zero_width_characters():
    assert clean_text("tro\u200bops\x00 in\u2060 Ir\ufeffaq\x07") == "troops in Iraq"


def test_clean_text_folds_spaces_and_trims_lines():
    assert clean_text("  two \t  words\u00a0\u00a0here  ") == "two words here"


def test_clean_text_normalizes_newlines_and_collapses_blank_lines():
    assert clean_text("one\r\ntwo\rthree\n\n\n\n\nfour") == "one\ntwo\nthree\n\nfour"


def test_clean_text_applies_nfc():
    assert clean_text("Gene\u0300ve") == "Genève"


def test_clean_line_folds_newlines_to_single_spaces():
    assert clean_line("A headline\n\n  over\ttwo lines ") == "A headline over two lines"


def test_paragraphs_are_non_empty_lines():
    assert paragraphs("first\n\n \nsecond\n") == ["first", "second"]


# --- noise ------------------------------------------------------------------------


def test_afp_file_photo_caption_is_a_caption():
    assert is_caption(SEED_CAPTION)


@pytest.mark.parametrize(
    "caption",
    [
        "Soldiers board a plane at the base. (Photo by John Smith/Getty Images)",
        "FILE PHOTO: A US soldier stands guard at a base in Iraq",
        "Troops leave the base in Baghdad. / Reuters",
    ],
)
def test_other_caption_forms_are_captions(caption):
    assert is_caption(caption)


def test_automated_translation_notice_is_a_notice():
    assert is_notice("Powered by automated translation")


def test_ordinary_news_paragraph_is_neither_caption_nor_notice():
    assert not is_caption(NEWS_PARAGRAPH)
    assert not is_notice(NEWS_PARAGRAPH)
    assert byline_authors(NEWS_PARAGRAPH) is None


def test_byline_gives_authors():
    assert byline_authors("By Jane Doe and John Roe") == ["Jane Doe", "John Roe"]


def test_byline_with_commas_gives_each_author():
    assert byline_authors("By Jane Doe, John Roe and Ann Lee") == ["Jane Doe", "John Roe", "Ann Lee"]


def test_sentence_starting_with_by_is_not_a_byline():
    assert byline_authors("By Friday, the troops had left the base.") is None


def test_split_noise_keeps_news_and_removes_caption_notice_and_byline():
    kept, removed, authors = split_noise(
        ["By Jane Doe and John Roe", SEED_CAPTION, "Powered by automated translation", NEWS_PARAGRAPH]
    )

    assert kept == [NEWS_PARAGRAPH]
    assert removed == ["By Jane Doe and John Roe", SEED_CAPTION, "Powered by automated translation"]
    assert authors == ["Jane Doe", "John Roe"]


def test_paragraph_starting_with_hyphenated_picture_word_is_kept():
    paragraph = "Picture-perfect weather greeted the runners at the start of the marathon on Sunday."

    kept, _removed, _authors = split_noise([paragraph])

    assert kept == [paragraph]


def test_short_news_paragraph_starting_with_related_is_kept():
    paragraph = "Related talks are expected to resume in Geneva next week, officials said."

    kept, _removed, _authors = split_noise([paragraph])

    assert kept == [paragraph]


# --- layout -----------------------------------------------------------------------


def test_split_layout_of_seed_finds_title_standfirst_and_body():
    layout = split_layout(seed_document())

    assert layout.title == SEED_TITLE
    assert layout.standfirst == (
        "There are now 2,500 US service members in Iraq, meeting a goal set by the Trump administration"
    )
    assert layout.body.startswith("The US reduction of troops in Iraq has been completed")


def test_split_layout_of_seed_body_has_no_caption_or_translation_notice():
    body = split_layout(seed_document()).body

    assert "FILES" not in body
    assert "SAUL LOEB" not in body
    assert "Powered by automated translation" not in body
    assert NEWS_PARAGRAPH in body


def test_split_layout_of_seed_reports_what_it_removed():
    removed = split_layout(seed_document()).removed

    assert any(line.startswith("(FILES)") for line in removed)
    assert "Powered by automated translation" in removed


def test_split_layout_drops_repeated_headline_of_structured_document():
    raw = RawDocument(
        kind="html", origin="page.html", title="Troops leave Iraq", text="Troops leave Iraq\n" + NEWS_PARAGRAPH
    )

    layout = split_layout(raw)

    assert layout.title == "Troops leave Iraq"
    assert layout.body == NEWS_PARAGRAPH


def test_split_layout_standfirst_that_is_the_whole_body_is_the_body():
    """Issue 14: a feed summary given as standfirst and text lost the item ("no article text")."""
    raw = RawDocument(kind="feed", origin="f#1", title="Troops leave Iraq", standfirst=NEWS_PARAGRAPH, text=NEWS_PARAGRAPH)

    layout = split_layout(raw)

    assert (layout.standfirst, layout.body) == ("", NEWS_PARAGRAPH)


def test_split_layout_feed_headline_with_a_link_and_no_text_of_its_own_is_a_headline_article():
    """Issue 14: a headline with a link is searchable; its body is the headline, marked so."""
    for text in ("", "Troops leave Iraq", "(FILES) A soldier at the base / AFP / JANE DOE"):
        raw = RawDocument(kind="feed", origin="f#1", title="Troops leave Iraq", text=text, url="https://news.example/1")
        layout = split_layout(raw)
        assert (layout.body, layout.headline_only) == ("Troops leave Iraq", True), text
    for raw in (RawDocument(kind="feed", origin="f#2", title="Troops leave Iraq", text=""),  # no link: nothing to point to
                RawDocument(kind="json", origin="f#3", title="Troops leave Iraq", text="", url="https://news.example/1")):
        with pytest.raises(InputError, match="no article text"):
            split_layout(raw)


def test_split_layout_takes_authors_from_byline_when_source_gives_none():
    raw = RawDocument(kind="text", origin="t.txt", text=f"Headline\nBy Jane Doe and John Roe\n{NEWS_PARAGRAPH}")

    layout = split_layout(raw)

    assert layout.title == "Headline"
    assert layout.authors == ["Jane Doe", "John Roe"]
    assert layout.body == NEWS_PARAGRAPH


def test_split_layout_single_long_paragraph_gets_title_from_first_sentence():
    text = "Troops left the base on Friday. " + NEWS_PARAGRAPH + " More will follow next month, officials said."
    raw = RawDocument(kind="text", origin="t.txt", text=text)

    layout = split_layout(raw)

    assert layout.title == "Troops left the base on Friday."
    assert layout.body == text


def test_split_layout_lone_short_line_is_a_headline_without_story():
    raw = RawDocument(kind="text", origin="t.txt", text="Troops leave Iraq")

    with pytest.raises(InputError) as info:
        split_layout(raw)

    assert info.value.origin == "t.txt"
    assert info.value.reason == "no article text"


def test_derived_title_is_shortened_at_a_word():
    title = derived_title("word " * 60)

    assert title.endswith("…")
    assert len(title) <= 121
    assert title[:-1].split() == ["word"] * len(title[:-1].split())


def test_split_layout_caption_only_is_input_error_naming_origin():
    raw = RawDocument(kind="text", origin="caption.txt", text=SEED_CAPTION)

    with pytest.raises(InputError) as info:
        split_layout(raw)

    assert info.value.origin == "caption.txt"
    assert "captions" in info.value.reason


# --- dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2021-01-15T10:00:00Z", datetime(2021, 1, 15, 10, 0, tzinfo=UTC)),
        ("2021-01-15T10:00:00+02:00", datetime(2021, 1, 15, 8, 0, tzinfo=UTC)),
        ("Fri, 15 Jan 2021 10:00:00 +0100", datetime(2021, 1, 15, 9, 0, tzinfo=UTC)),
        ("2021-01-15 10:00:00", datetime(2021, 1, 15, 10, 0, tzinfo=UTC)),
        ("1610704800", datetime(2021, 1, 15, 10, 0, tzinfo=UTC)),
        ("15 January 2021", datetime(2021, 1, 15, tzinfo=UTC)),
        ("  2021-01-15  ", datetime(2021, 1, 15, tzinfo=UTC)),
    ],
)
def test_parse_date_returns_utc(value, expected):
    parsed = parse_date(value)

    assert parsed == expected
    assert parsed.utcoffset().total_seconds() == 0


def test_parse_date_naive_value_is_taken_as_utc():
    parsed = parse_date("2021-01-15T10:00:00")

    assert parsed.tzinfo is not None
    assert parsed == datetime(2021, 1, 15, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", "   ", "garbage", "not a date at all"])
def test_parse_date_without_a_date_is_none(value):
    assert parse_date(value) is None


def test_latest_date_in_text_picks_the_newest_date():
    text = "Talks began on 3 March 2019. Troops left on January 15, 2021. A plan from 2020-06-01 failed."

    found = latest_date_in_text(text, now=datetime(2022, 1, 1, tzinfo=UTC))

    assert found == datetime(2021, 1, 15, tzinfo=UTC)


def test_latest_date_in_text_ignores_dates_after_now():
    text = "The deal was signed on January 15, 2021 and expires on December 31, 2030."

    found = latest_date_in_text(text, now=datetime(2021, 6, 1, tzinfo=UTC))

    assert found == datetime(2021, 1, 15, tzinfo=UTC)


def test_latest_date_in_text_without_full_dates_is_none():
    assert latest_date_in_text("In November, troops were cut. In 2011 there were more.") is None


def test_latest_date_in_text_skips_impossible_dates():
    found = latest_date_in_text("February 30, 2021 and 2020-13-01, but also 1 May 2019.")

    assert found == datetime(2019, 5, 1, tzinfo=UTC)


def test_latest_date_in_text_accepts_naive_now_as_utc():
    found = latest_date_in_text("Troops left on January 15, 2021.", now=datetime(2021, 2, 1))

    assert found == datetime(2021, 1, 15, tzinfo=UTC)


# --- identity ---------------------------------------------------------------------


def test_canonical_url_drops_tracking_fragment_default_port_and_lowercases_host():
    url = "HTTPS://WWW.Example.COM:443/World/Story?utm_source=x&id=3&utm_medium=y&fbclid=z#comments"

    assert canonical_url(url) == "https://www.example.com/World/Story?id=3"


def test_canonical_url_drops_http_default_port_and_keeps_others():
    assert canonical_url("http://example.com:80/a") == "http://example.com/a"
    assert canonical_url("http://example.com:8080/a") == "http://example.com:8080/a"


def test_canonical_url_gives_root_path_for_bare_host():
    assert canonical_url("https://Example.com") == "https://example.com/"


@pytest.mark.parametrize("url", [None, "", "   "])
def test_canonical_url_of_nothing_is_none(url):
    assert canonical_url(url) is None


def test_canonical_url_leaves_non_http_urls_alone():
    assert canonical_url("  urn:isbn:0451450523 ") == "urn:isbn:0451450523"


def test_canonical_url_keeps_ipv6_brackets():
    assert canonical_url("http://[::1]:8080/a") == "http://[::1]:8080/a"


def test_normalize_with_bad_port_url_does_not_raise_value_error():
    raw = RawDocument(
        kind="json", origin="x.json#1", title="Headline", text=NEWS_PARAGRAPH, url="http://example.com:99999/a"
    )
    try:
        normalize(raw)
    except InputError:
        pass


def test_content_hash_ignores_case_whitespace_and_punctuation():
    a = content_hash("Troops Leave Iraq", "There are now 2,500 troops.\n\nMore later.")
    b = content_hash("troops leave   iraq", "there are now 2 500 troops more later")

    assert a == b


def test_content_hash_differs_for_different_words():
    a = content_hash("Troops leave Iraq", "There are now 2,500 troops.")
    b = content_hash("Troops leave Iraq", "There are now 3,000 troops.")

    assert a != b


def test_article_id_uses_canonical_url_when_given():
    canonical = "https://example.com/a"

    first = article_id(canonical, content_hash("t", "one body"))
    second = article_id(canonical, content_hash("t", "another body"))

    assert first == second
    assert len(first) == 20


def test_article_id_without_url_follows_content():
    one = content_hash("t", "one body")
    two = content_hash("t", "another body")

    assert article_id(None, one) == article_id(None, one)
    assert article_id(None, one) != article_id(None, two)
    assert article_id(None, one) != article_id("https://example.com/a", one)


TEXT_A = (
    "The United States has completed its reduction of troops in Iraq days before the president leaves "
    "office, the Pentagon said on Friday. There are now about two thousand five hundred service members "
    "in Iraq and the same number in Afghanistan, the lowest levels since the wars began nearly two "
    "decades ago. The acting defence secretary said the drawdown reflected the increased capabilities "
    "of the Iraqi security forces and did not signal a change in policy. Officials said the smaller "
    "force would continue to advise and assist partner forces and would keep a counter-terrorism "
    "platform in the country. Critics in Congress warned that the cuts could leave the region more "
    "vulnerable to a resurgent insurgency, while supporters said the move was long overdue. Since the "
    "invasion in two thousand and three, thousands of American troops have been killed and tens of "
    "thousands injured, according to official figures. Iraqi politicians have repeatedly called for "
    "the withdrawal of all foreign forces, and the parliament voted last year to expel them. Some "
    "Kurdish and Sunni leaders, however, said a full withdrawal would empower militias backed by Iran "
    "and undermine the fragile security gains made in recent years across the north of the country."
)
TEXT_A_EDITED = TEXT_A.replace("on Friday", "on Thursday").replace("Critics in Congress", "Critics in Washington")
TEXT_B = (
    "The city council approved a new budget for public libraries on Tuesday evening after a long debate "
    "about opening hours, digital lending and the cost of repairing several ageing buildings. Librarians "
    "had warned for months that reading rooms in the eastern districts were overcrowded and that the "
    "heating systems in two branches had failed during the winter. Under the plan, every branch will "
    "open on Sunday afternoons from the spring, and the children's sections will be refurbished with new "
    "furniture, shelves and reading corners. The mayor said the investment would pay for itself by "
    "keeping young people in school and giving older residents a warm place to meet. Opposition members "
    "questioned whether the money would be better spent on parks and swimming pools, but the vote passed "
    "comfortably. Local authors welcomed the decision and offered to hold free workshops on poetry, "
    "storytelling and family history. The first renovated branch is expected to reopen in the autumn, "
    "with a festival of music, theatre and cooking classes planned for the opening weekend in the square."
)


def test_simhash_is_16_hex_digits_and_deterministic():
    value = simhash(TEXT_A)

    assert len(value) == 16
    int(value, 16)
    assert simhash(TEXT_A) == value


def test_simhash_of_text_without_words_is_zero():
    assert simhash("  ... !!! ") == "0" * 16


def test_simhash_near_duplicate_is_close_and_unrelated_is_far():
    assert min(len(TEXT_A.split()), len(TEXT_B.split())) >= 150 and TEXT_A_EDITED != TEXT_A
    near = hamming(simhash(TEXT_A), simhash(TEXT_A_EDITED))
    far = hamming(simhash(TEXT_A), simhash(TEXT_B))

    assert near < 10
    assert far > 20


def test_simhash_ignores_case_and_punctuation():
    assert simhash(TEXT_A) == simhash(TEXT_A.upper().replace(",", " ").replace(".", " "))


def test_hamming_counts_differing_bits():
    assert hamming("0" * 16, "0" * 16) == 0
    assert hamming("0" * 16, "f" * 16) == 64
    assert hamming("0000000000000001", "0000000000000003") == 1


# --- language ---------------------------------------------------------------------


def test_detect_language_english():
    assert detect_language(TEXT_A) == "en"


def test_detect_language_french():
    text = (
        "Le gouvernement français a annoncé mercredi une série de mesures pour soutenir les entreprises "
        "touchées par la crise, notamment dans les secteurs du tourisme et de la restauration."
    )
    assert detect_language(text) == "fr"


@pytest.mark.parametrize("text", ["", "Hello there", "   short text, under forty chars   "])
def test_detect_language_of_short_text_is_none(text):
    assert detect_language(text) is None


# --- normalize --------------------------------------------------------------------


def test_normalize_seed_takes_date_from_text():
    article = normalize(seed_document())

    assert article.published_at == datetime(2021, 1, 15, tzinfo=UTC)
    assert article.published_from == "text"


def test_normalize_seed_title_language_and_body():
    article = normalize(seed_document())

    assert article.title == SEED_TITLE
    assert article.language == "en"
    assert article.origin == str(SEED)
    assert NEWS_PARAGRAPH in article.body
    assert "SAUL LOEB" not in article.body


def test_normalize_seed_id_is_content_based_and_stable():
    first = normalize(seed_document())
    second = normalize(seed_document())

    assert first.canonical_url is None
    assert first.id == second.id == article_id(None, first.content_hash)
    assert first.content_hash == content_hash(first.title, first.body)
    assert first.simhash == simhash(first.body)


def test_normalize_source_date_beats_date_in_text():
    raw = seed_document().model_copy(update={"published": "Fri, 15 Jan 2021 10:00:00 +0100"})

    article = normalize(raw)

    assert article.published_at == datetime(2021, 1, 15, 9, 0, tzinfo=UTC)
    assert article.published_from == "source"


def test_normalize_with_no_date_anywhere_is_none():
    raw = RawDocument(kind="json", origin="r.json#1", title="Headline", text=NEWS_PARAGRAPH)

    article = normalize(raw)

    assert article.published_at is None
    assert article.published_from == "none"


def test_normalize_uses_canonical_url_for_id():
    body = {"kind": "json", "title": "Headline", "text": NEWS_PARAGRAPH}
    a = normalize(RawDocument(origin="a", url="https://Example.com/a?utm_source=x#top", **body))
    b = normalize(RawDocument(origin="b", url="https://example.com/a", **body))

    assert a.canonical_url == "https://example.com/a"
    assert a.url == "https://Example.com/a?utm_source=x#top"
    assert a.id == b.id == article_id("https://example.com/a", a.content_hash)


def test_normalize_cleans_source_name():
    raw = RawDocument(kind="json", origin="r", title="T", text=NEWS_PARAGRAPH, source="  The\u200b National \n")

    assert normalize(raw).source == "The National"


def test_normalize_caption_only_document_is_input_error_naming_origin():
    raw = RawDocument(kind="text", origin="inbox/caption-only.txt", text=SEED_CAPTION + "\nPowered by automated translation")

    with pytest.raises(InputError) as info:
        normalize(raw)

    assert info.value.origin == "inbox/caption-only.txt"
    assert str(info.value).startswith("inbox/caption-only.txt: ")
    assert "no article text" in info.value.reason


def test_a_feeds_word_about_a_link_is_its_own_unless_the_page_was_fetched():
    """Issue 18 item 10: identity from a link is per feed; a fetched page is the page's."""
    from worker.models import RawDocument
    from worker.normalize import normalize

    def doc(feed, fetched=False, kind="feed"):
        return normalize(RawDocument(kind=kind, origin="o", text="Title here\n\nBody about troops in Iraq today.",
                                     url="https://outlet.example/a/7", feed_url=feed, page_fetched=fetched))

    assert doc("https://a.example/feed").id != doc("https://b.example/feed").id
    assert doc("https://a.example/feed", fetched=True).id == doc("https://b.example/feed", fetched=True).id
    assert doc(None, kind="text").id == doc("https://a.example/feed", fetched=True).id


def test_a_feed_items_own_text_is_known_by_its_feed_its_id_and_its_anchor():
    """Issue 14: two posts of one feed linking one page (or anchors of one page) are two articles;
    a fetched page stays the page, whatever the item's id or anchor."""
    from worker.models import RawDocument
    from worker.normalize import normalize

    def doc(entry_id=None, url="https://outlet.example/day.html", fetched=False):
        return normalize(RawDocument(kind="feed", origin="o", text="Title here\n\nBody about troops in Iraq today.", url=url,
                                     feed_url="https://a.example/feed", entry_id=entry_id, page_fetched=fetched)).id

    assert doc("g1") != doc("g2") and doc("g1") == doc("g1")
    assert doc(url="https://outlet.example/day.html#a1") != doc(url="https://outlet.example/day.html#a2")
    assert doc("g1", fetched=True) == doc("g2", url="https://outlet.example/day.html#a2", fetched=True)


def test_item_url_keeps_the_anchor_of_the_canonical_url():
    from worker.normalize.identity import item_url

    assert item_url("HTTP://News.Example.com:80/2017/06/26.html?utm_source=rss#a080605") == "http://news.example.com/2017/06/26.html#a080605"
    assert item_url("https://news.example.com/a#") == item_url("https://news.example.com/a") == "https://news.example.com/a"
    assert item_url("urn:x#y") == "urn:x#y" and item_url(None) is None


@pytest.mark.parametrize("lead", [
    "MOGADISHU, Somalia (CNA) — At least 100 people were killed when two car bombs exploded on Saturday.",
    "SEOUL, Dec 30 (Reuters) - A passenger jet crash-landed at Muan airport, killing 179 people.",
    "KABUL — Two suicide bombers attacked crowds outside the airport on Thursday.",
])
def test_a_paragraph_opening_with_a_dateline_is_the_story_not_a_standfirst(lead):
    text = f"Headline of the story\n\n{lead}\n\nA second paragraph follows.\n\nAnd a third one."
    layout = split_layout(RawDocument(kind="text", origin="a.txt", text=text))
    assert layout.title == "Headline of the story" and layout.standfirst == ""
    assert layout.body.startswith(lead)


def test_a_short_second_paragraph_without_a_dateline_is_still_the_standfirst():
    text = "Headline of the story\n\nA one-line summary of it.\n\nKABUL — The story begins here.\n\nIt goes on."
    layout = split_layout(RawDocument(kind="text", origin="a.txt", text=text))
    assert layout.standfirst == "A one-line summary of it." and layout.body.startswith("KABUL —")
