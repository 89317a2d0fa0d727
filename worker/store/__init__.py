"""Stores behind one interface: SqliteStore (embedded default), ElasticsearchStore (production)."""

from __future__ import annotations

from ..errors import ConfigError
from ..settings import Settings
from .base import ArticleStore, Fingerprint
from .sqlite import SqliteStore


def make_store(settings: Settings) -> ArticleStore:
    """The store the settings choose, with its schema in place."""
    if settings.store == "sqlite":
        store: ArticleStore = SqliteStore(settings.database_path, settings.mappings_dir)
    else:
        raise ConfigError(
            "NEWSWORKER_STORE=elasticsearch is not available in this version yet; "
            "use the default NEWSWORKER_STORE=sqlite"
        )
    store.setup()
    return store


__all__ = ["ArticleStore", "Fingerprint", "SqliteStore", "make_store"]
