"""Normalize: RawDocument -> Article (clean text, layout, dates, language, identity)."""

from .article import normalize

__all__ = ["normalize"]
