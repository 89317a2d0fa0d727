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


class GuardError(NewsworkerError):
    """A host the fetcher will not connect to (non-public address) or cannot resolve.

    Raised where the connection is made, which knows the host but not the URL; the
    fetcher turns it into a FetchError naming the URL."""

    def __init__(self, host: str, reason: str, transient: bool = False):
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.reason = reason
        self.transient = transient


class FeedParseError(NewsworkerError):
    """A feed body yielded no entries; the reason is recorded in the feed's state."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class RegistryError(NewsworkerError):
    """config/feeds.toml cannot be read or does not hold what was asked."""


class FeedStateError(NewsworkerError):
    """The feed state (item ledger, schedules) cannot be written, e.g. a read-only ``var/``."""
