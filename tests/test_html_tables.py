"""Tables in HTML pages: data tables reach the body one sentence a row, and the figure
extractor reads each number with its row's label; link and layout tables add nothing.

The pages in ``data/html/`` are whole news pages (navigation, related stories, comments,
footer): one holds a table of troop counts in its article, the other is an old site laid out
in tables, with a table of pledges nested in the article's cell and a "most read" table of
links (with their own numbers) beside it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trafilatura
from lxml import etree, html as lxml_html

from worker.models import Article
from worker.sources.files import named_roots, read_file
from worker.sources.html import EXTRACTION_OPTIONS, html_to_document, read_html
from worker.sources.metadata import Overrides
from worker.sources.tables import rows_as_lines, sort_tables

DATA = Path(__file__).resolve().parent / "data"
TROOPS_PAGE = DATA / "html" / "us_troops_abroad_table.html"
LAYOUT_PAGE = DATA / "html" / "layout_table_page.html"
ARTICLE_PAGES = sorted((DATA / "articles").glob("*/*.html"))


def body_of(path: Path) -> str:
    from worker.normalize import normalize

    return normalize(read_html(str(path), path.read_bytes())).body


def extracted(path: Path, extractor) -> Article:
    """What `newsworker extract FILE --json` prints for ``path``."""
    from worker.ingest import prepare

    [article] = prepare(read_file(path, Overrides(), 1_000_000, roots=named_roots([path])), extractor)
    assert isinstance(article, Article), article
    return article


# --------------------------------------------------------------------------- whole pages


def test_rows_of_a_data_table_reach_the_body_one_line_each():
    paragraphs = body_of(TROOPS_PAGE).split("\n\n")

    assert "Country; Troops; In November." in paragraphs
    assert "Afghanistan; 2,500 troops; 4,500 troops." in paragraphs
    assert "Somalia; 120 troops; 700 troops." in paragraphs
    # the caption, and the article on both sides of the table
    assert "US troops deployed, January 15, 2021." in paragraphs
    assert paragraphs.index("Afghanistan; 2,500 troops; 4,500 troops.") > paragraphs.index(
        "The department's count of troops deployed in the main theatres, as of January 15:")
    assert "all foreign forces are due to leave Afghanistan by May" in paragraphs[-1]


def test_navigation_related_links_comments_and_footer_stay_out_of_the_body():
    body = body_of(TROOPS_PAGE)

    for junk in ("Subscribe", "Opinion", "Related stories", "12,000 troops to leave Germany",
                 "Pentagon to cut 2,000", "Bagram", "veteran_77", "Privacy", "Contact"):
        assert junk not in body, junk


def test_the_extractor_finds_each_figure_of_a_table_with_its_row_label(extractor):
    article = extracted(TROOPS_PAGE, extractor)

    figures = {(f.value, f.location) for f in article.figures if f.field == "body"}
    assert {(2500, "Afghanistan"), (4500, "Afghanistan"), (3000, "Iraq"), (900, "Syria"), (120, "Somalia")} <= figures
    [afghanistan] = [f for f in article.figures if f.value == 2500]
    assert afghanistan.category == "troops"
    assert afghanistan.sentence.startswith("Afghanistan;")
    assert "Iraq" not in afghanistan.sentence  # the next row is a sentence of its own
    # the numbers of the related stories are no figures of this article
    assert not {12000, 2000} & {f.value for f in article.figures}


def test_a_page_laid_out_in_tables_reads_as_its_article():
    body = body_of(LAYOUT_PAGE)

    assert body.startswith("By Wanjiru Kamau")
    assert "A second contingent of 200 Kenyan police officers landed" in body
    assert "Kenya; 1,000 police officers." in body.split("\n\n")
    assert "clearing the way for the first officers to fly out in June." in body
    for junk in ("Front page", "Business", "Most read", "Matatu", "5,000 teachers", "Advertise", "Courier Ltd"):
        assert junk not in body, junk


def test_a_table_nested_in_a_layout_cell_gives_its_figures(extractor):
    article = extracted(LAYOUT_PAGE, extractor)

    pledge = [f for f in article.figures if f.value == 1000]
    assert pledge and pledge[0].location == "Kenya"
    assert 5000 not in {f.value for f in article.figures}


@pytest.mark.skipif(not ARTICLE_PAGES, reason="no whole HTML pages in tests/data/articles")
@pytest.mark.parametrize("path", ARTICLE_PAGES, ids=lambda p: p.name)
def test_pages_without_tables_read_exactly_as_trafilatura_reads_them(path):
    html = path.read_text(encoding="utf-8")
    assert "<table" not in html.lower()

    doc = html_to_document(str(path), html)

    assert doc.text == trafilatura.bare_extraction(html, **EXTRACTION_OPTIONS).text


# --------------------------------------------------------------------------- before trafilatura


def page(body: str) -> etree._Element:
    return lxml_html.document_fromstring(f"<html><body>{body}</body></html>")


def tags(tree: etree._Element) -> list[str]:
    return [e.tag for e in tree.iter() if e.tag in ("table", "tr", "td", "th")]


def test_a_table_of_links_is_dropped_and_the_text_after_it_kept():
    tree = page('<p>Before</p><table><tr><td><a href="/">Home</a></td><td><a href="/w">World news</a></td></tr>'
                '<tr><th>Latest</th></tr><tr><td><a href="/n">3 killed in crash</a></td></tr></table>after')

    sort_tables(tree)

    assert tags(tree) == []
    assert tree.find(".//p").tail == "after"


def test_a_data_table_whose_row_labels_are_links_is_kept():
    tree = page('<table><tr><td><a href="/af">Afghanistan</a></td><td>2,500</td></tr>'
                '<tr><td><a href="/iq">Iraq</a></td><td>3,000</td></tr></table>')

    sort_tables(tree)

    assert tags(tree) == ["table", "tr", "td", "td", "tr", "td", "td"]


@pytest.mark.parametrize("inside", [
    "<td><h1>Story</h1></td><td>2,500</td>",                       # a heading: a page's section
    "<td><p>One paragraph.</p><p>Another.</p></td><td>2,500</td>",  # paragraphs of prose
    "<td>" + "Prose that runs on. " * 25 + "</td><td>2,500</td>",   # long text in one cell
    "<td>All the page in one cell, 2,500 troops.</td>",             # a box around text
])
def test_a_layout_table_becomes_plain_blocks(inside):
    tree = page(f"<table><tr>{inside}</tr></table>")

    sort_tables(tree)

    assert tags(tree) == []
    assert "2,500" in tree.text_content()


def test_a_table_nested_in_a_layout_table_stays_a_table():
    tree = page("<table><tr><td><h1>Story</h1><table><tr><td>Kenya</td><td>1,000</td></tr>"
                "<tr><td>Jamaica</td><td>200</td></tr></table></td><td>Menu</td></tr></table>")

    sort_tables(tree)

    assert tags(tree) == ["table", "tr", "td", "td", "tr", "td", "td"]
    assert [td.text for td in tree.iter("td")] == ["Kenya", "1,000", "Jamaica", "200"]


# --------------------------------------------------------------------------- after trafilatura


def body(xml: str) -> etree._Element:
    return etree.fromstring(f"<body>{xml}</body>")


def test_each_row_becomes_a_sentence_of_its_cells_empty_ones_left_out():
    tree = body('<p>Counts:</p><table><row><cell role="head">Country</cell><cell role="head">Troops</cell></row>'
                "<row><cell>Afghanistan</cell><cell/><cell> 2,500 \n troops </cell></row>"
                "<row><cell/><cell/></row><row><cell>Total?</cell></row></table>tail")

    assert rows_as_lines(tree) is True

    assert [(p.text, p.tail) for p in tree] == [
        ("Counts:", None), ("Country; Troops.", None), ("Afghanistan; 2,500 troops.", None), ("Total?", "tail")]


def test_blocks_inside_a_cell_keep_their_words_apart():
    tree = body("<table><row><cell><p>Kenya</p><p>police</p></cell><cell>1,<hi>000</hi><lb/>officers</cell></row></table>")

    rows_as_lines(tree)

    assert [p.text for p in tree] == ["Kenya police; 1,000 officers."]


def test_a_table_in_a_cell_is_read_as_that_cells_text():
    tree = body("<table><row><cell>Pledges</cell><cell><table><row><cell>Kenya</cell><cell>1,000</cell></row>"
                "</table></cell></row></table>")

    rows_as_lines(tree)

    assert [p.text for p in tree] == ["Pledges; Kenya; 1,000."]


def test_a_body_without_tables_is_left_alone():
    tree = body("<p>One.</p><list><item>Two</item></list>")
    before = etree.tostring(tree)

    assert rows_as_lines(tree) is False
    assert etree.tostring(tree) == before
