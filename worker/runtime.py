"""What a process needs to do work: settings, a store and an extractor, each made once."""

from __future__ import annotations

from functools import cached_property

from .extract import Extractor, load_model
from .settings import Settings
from .store import ArticleStore, make_store


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def store(self) -> ArticleStore:
        return make_store(self.settings)

    @cached_property
    def extractor(self) -> Extractor:
        return Extractor(load_model(self.settings.spacy_model))

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
            del self.__dict__["store"]
