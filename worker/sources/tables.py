"""Tables of an HTML page as text the figure extractor can read: one sentence a row.

Two passes around trafilatura. Before it reads the page (``sort_tables``), tables that are
not data are taken out of the way: a table of links (navigation, related stories) is dropped,
since the numbers in its headlines are no figures of this article; a table that lays out the
page (one cell, or a cell holding headings, paragraphs or a table of its own, or long text)
becomes plain blocks, so trafilatura finds the article in it as it does in any other page.
After trafilatura (``rows_as_lines``), each table it kept in the article becomes one line a
row, its cells joined: "Afghanistan; 2,500 troops; 4,500 troops." The row's label stays in
the sentence of its numbers, and the next row's does not: the extractor reads sentences, and
spaCy does not end one at a line break, so a row without its full stop ran on into the next
and the next row's label became what a number counted. Cells are joined with "; " rather
than " | " because the extractor took a "|" after a number for the noun it counts.
No I/O: both only change the tree they are given.
"""

from __future__ import annotations

from lxml import etree
from trafilatura.xml import delete_element  # removes an element, keeping the text after it

CELL_SEPARATOR = "; "
ROW_END = "."
_SENTENCE_ENDS = (".", "!", "?")
# A cell longer than this is prose laid out in a table, not a value.
MAX_DATA_CELL_CHARS = 400
_TABLE_PARTS = {"thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col"}
# Inside a data table there are values, not sections of a page.
_LAYOUT_INSIDE = {"table", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "nav", "header", "footer", "aside"}
# trafilatura's block elements: in a cell, words on either side of one are two words.
_CELL_BLOCKS = {"p", "lb", "item", "list", "head", "quote", "div", "row", "cell"}


# --------------------------------------------------------------------------- before trafilatura


def sort_tables(tree: etree._Element) -> None:
    """Turn layout tables into blocks and drop link tables; data tables stay for trafilatura."""
    for table in list(tree.iter("table")):
        own = _own(table)
        rows = [[cell for cell in row if cell.tag in ("td", "th")] for row in own if row.tag == "tr"]
        if _is_layout_table(own, rows):
            for part in (table, *(e for e in own if e.tag in _TABLE_PARTS)):
                part.tag = "div"
        elif _is_link_table(rows):
            delete_element(table)


def _own(table: etree._Element) -> list[etree._Element]:
    """The elements inside ``table``, a nested table included but not what is inside it:
    each element is visited for its nearest table only, so nested tables cost no more."""
    found, stack = [], list(table)
    while stack:
        element = stack.pop()
        if isinstance(element.tag, str):  # not a comment or processing instruction
            found.append(element)
            if element.tag != "table":
                stack.extend(element)
    return found


def _is_layout_table(own: list[etree._Element], rows: list[list[etree._Element]]) -> bool:
    """A table that holds a page, not values: one cell, or a table, heading or prose inside."""
    cells = [cell for row in rows for cell in row]
    if len(cells) <= 1 or any(e.tag in _LAYOUT_INSIDE for e in own):
        return True
    return any(len(cell.findall(".//p")) >= 2 or len(_words(cell.text_content())) > MAX_DATA_CELL_CHARS for cell in cells)


def _is_link_table(rows: list[list[etree._Element]]) -> bool:
    """Most rows that say anything say it only in links (a data row has a value outside one)."""
    said = [row for row in rows if any(_word_chars(cell.text_content()) for cell in row)]
    links_only = [row for row in said if all(_links_only(cell) for cell in row)]
    return bool(said) and len(links_only) * 2 > len(said)


def _links_only(cell: etree._Element) -> bool:
    linked = sum(_word_chars(a.text_content()) for a in cell.iter("a"))
    total = _word_chars(cell.text_content())
    return total == 0 or (linked > 0 and linked >= total)


def _word_chars(text: str) -> int:
    """Letters and digits: what a cell says, without its spacing and separators ("|", "·")."""
    return sum(c.isalnum() for c in text)


# --------------------------------------------------------------------------- after trafilatura


def rows_as_lines(body: etree._Element) -> bool:
    """Each <table> of trafilatura's body (<row>s of <cell>s) as one <p> a row, a sentence of
    its cells; False if there was no table."""
    tables = list(body.iter("table"))
    # Innermost first: a table nested in a cell is read as that cell's text.
    for table in reversed(tables):
        for row in table.iter("row"):
            line = CELL_SEPARATOR.join(text for cell in row.iter("cell") if (text := _cell_text(cell)))
            if line:
                paragraph = etree.Element("p")
                paragraph.text = line if line.endswith(_SENTENCE_ENDS) else line + ROW_END
                table.addprevious(paragraph)
        delete_element(table)
    return bool(tables)


def _cell_text(cell: etree._Element) -> str:
    """A cell's words on one line; blocks inside it (paragraphs, line breaks, items) kept apart."""
    parts = []
    for event, element in etree.iterwalk(cell, events=("start", "end")):
        if not isinstance(element.tag, str):
            continue
        parts.append(" " if element.tag in _CELL_BLOCKS else "")
        if event == "start":
            parts.append(element.text or "")
        elif element is not cell:
            parts.append(element.tail or "")
    return _words("".join(parts))


def _words(text: str) -> str:
    return " ".join(text.split())
