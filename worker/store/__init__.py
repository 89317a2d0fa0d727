"""Stores behind one interface: SqliteStore (embedded default), ElasticsearchStore (production)."""

from __future__ import annotations

from ..settings import Settings
from .base import ArticleStore, Fingerprint
from .sqlite import SqliteStore


def make_store(settings: Settings) -> ArticleStore:
    """The store the settings choose, with its schema in place."""
    if settings.store == "sqlite":
        store: ArticleStore = SqliteStore(settings.database_path, settings.mappings_dir)
    else:
        # Imported here: the embedded default should not pay for loading the ES client.
        from .elasticsearch import ElasticsearchStore

        store = ElasticsearchStore.from_settings(settings.es, settings.mappings_dir)
    store.setup()
    return store


__all__ = ["ArticleStore", "Fingerprint", "SqliteStore", "make_store"]
