"""Names of everything one newsworker installation keeps in Elasticsearch, from its prefix.

Articles (and events) live in versioned indices ``{prefix}-articles-v{N}``: readers use
the alias ``{prefix}-articles``, writers ``{prefix}-articles-write``, so a rebuilt index
is put in service by moving both aliases at once. Pure: strings in, strings out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """A versioned index family: ``{base}-v{N}`` behind a read and a write alias."""

    base: str

    @property
    def read_alias(self) -> str:
        return self.base

    @property
    def write_alias(self) -> str:
        return f"{self.base}-write"

    @property
    def complete_alias(self) -> str:
        """On every generation that was ever made live: a rebuild that finished and was
        verified. Rollback goes only to those, never to a half-built index."""
        return f"{self.base}-complete"

    @property
    def building_alias(self) -> str:
        """On the generation a reindex is building: writers put every write there too."""
        return f"{self.base}-building"

    @property
    def pattern(self) -> str:
        return f"{self.base}-v*"

    def index(self, version: int) -> str:
        return f"{self.base}-v{version}"

    def version_of(self, index: str) -> int | None:
        """The N of ``{base}-vN``; None for any other name (including ``{base}-v1-old``)."""
        match = re.fullmatch(re.escape(self.base) + r"-v([1-9][0-9]*)", index)
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Layout:
    prefix: str

    @property
    def articles(self) -> Family:
        return Family(f"{self.prefix}-articles")

    @property
    def events(self) -> Family:
        return Family(f"{self.prefix}-events")

    @property
    def failures(self) -> str:
        return f"{self.prefix}-failures"

    @property
    def everything(self) -> str:
        """A pattern matching every index of this installation (for status and cleanup)."""
        return f"{self.prefix}-*"
