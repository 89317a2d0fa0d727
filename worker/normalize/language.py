"""Language of an article (ISO 639-1), from its text."""

from __future__ import annotations

from functools import lru_cache

MIN_CHARS = 40
SAMPLE_CHARS = 4000


def detect_language(text: str) -> str | None:
    """Two-letter code, or None when the text is too short to tell."""
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < MIN_CHARS:
        return None
    code, _score = _identifier().classify(sample)
    return code


@lru_cache(maxsize=1)
def _identifier():
    # Imported on first use: loading the language model costs a fraction of a second.
    import py3langid

    return py3langid
