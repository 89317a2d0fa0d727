"""Errors of the feeds stage, each naming the URL and the reason."""

from __future__ import annotations

from ..errors import NewsworkerError


class FetchError(NewsworkerError):
    """A URL could not be fetched. ``transient`` errors (network, timeouts) are worth retrying."""

    def __init__(self, url: str, reason: str, transient: bool = False, status: int | None = None):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.transient = transient
        self.status = status


class FeedParseError(NewsworkerError):
    """A feed body yielded no entries; the reason is recorded in the feed's state."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class RegistryError(NewsworkerError):
    """config/feeds.toml cannot be read or does not hold what was asked."""
