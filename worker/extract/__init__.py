"""Extract: entities, figures and (later) events from normalized articles."""

from .nlp import load_model
from .pipeline import EXTRACTOR_VERSION, Extractor

__all__ = ["EXTRACTOR_VERSION", "Extractor", "load_model"]
