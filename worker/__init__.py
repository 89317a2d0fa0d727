"""newsworker: news in, searchable entities, figures and events out."""

__version__ = "0.1.0"
