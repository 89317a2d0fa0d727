"""Unicode and whitespace cleanup that every text goes through."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls except tab and newline; zero-width characters and the BOM; bidirectional
# embeddings, overrides and isolates (they reorder what a terminal or Kibana shows: a title
# could display as something else); lone surrogates (no UTF-8 form: JSON, SQLite and
# Elasticsearch refuse them) and the noncharacters U+FFFE/U+FFFF.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
# Unicode line and paragraph separators end lines like a newline.
_LINE_BREAKS = str.maketrans({"\r": "\n", "\f": "\n", "\u2028": "\n", "\u2029": "\n"})
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def without_controls(text: str) -> str:
    """The characters clean_text drops removed and line breaks made "\n", nothing else changed:
    what lxml accepts (it refuses control characters with a ValueError)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").translate(_LINE_BREAKS))


def clean_text(text: str) -> str:
    """NFC, no control or zero-width characters, single spaces, at most one blank line."""
    text = unicodedata.normalize("NFC", without_controls(text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_line(text: str) -> str:
    """One line: everything above, and newlines folded to spaces."""
    return " ".join(clean_text(text).split())


def paragraphs(text: str) -> list[str]:
    """Non-empty lines; plain-text articles put one paragraph on a line."""
    return [line for line in clean_text(text).split("\n") if line]
