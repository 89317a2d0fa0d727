"""Loading the spaCy model named in settings, once per process."""

from __future__ import annotations

import importlib
from functools import lru_cache

import spacy
from spacy.language import Language

from ..errors import ModelNotInstalledError

# The extractor reads entities, the parse (noun heads, sentences) and lemmas.
NEEDED_PIPES = {"tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"}


@lru_cache(maxsize=4)
def load_model(name: str) -> Language:
    """The installed spaCy pipeline called ``name``; never downloads anything."""
    try:
        nlp = spacy.load(name)
    except OSError:
        try:
            nlp = importlib.import_module(name).load()
        except ImportError:
            raise ModelNotInstalledError(name) from None
    unused = [pipe for pipe in nlp.pipe_names if pipe not in NEEDED_PIPES]
    if unused:
        nlp.disable_pipes(*unused)
    return nlp
