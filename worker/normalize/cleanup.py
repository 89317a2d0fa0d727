"""Unicode and whitespace cleanup that every text goes through."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls except tab and newline; zero-width characters and the BOM.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """NFC, no control or zero-width characters, single spaces, at most one blank line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text.replace("\f", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_line(text: str) -> str:
    """One line: everything above, and newlines folded to spaces."""
    return " ".join(clean_text(text).split())


def paragraphs(text: str) -> list[str]:
    """Non-empty lines; plain-text articles put one paragraph on a line."""
    return [line for line in clean_text(text).split("\n") if line]
