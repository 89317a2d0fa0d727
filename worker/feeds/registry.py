"""The feed registry: config/feeds.toml, read and written whole (atomically, under a lock)."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from .errors import RegistryError

HEADER = """\
# Feeds newsworker polls. Managed with `newsworker feeds add|remove`; hand edits are fine.
# url: the feed (http, https or file); name: the source name given to its articles;
# interval_minutes: how often to poll; full_article: fetch the page when an item has only a summary.
"""


class FeedConfig(BaseModel):
    url: str
    name: str | None = None
    # At most a year: a larger one overflowed the date arithmetic and broke the feed for good.
    interval_minutes: int = Field(default=30, ge=1, le=366 * 24 * 60)
    full_article: bool = False

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "file:")):
            raise ValueError(f"feed URL must be http, https or file (file:relative/path works): {value!r}")
        return value


class Registry:
    """A TOML file of sources polled on a schedule: ``[[feeds]]`` tables of FeedConfig by default;
    the sitemap registry is the same file format with its own table name, model and header."""

    table = "feeds"
    model: type[BaseModel] = FeedConfig
    header = HEADER

    def __init__(self, path: Path, default_interval: int = 30):
        self.path = Path(path)
        self.default_interval = default_interval
        # Parsed entries keyed by the file's (mtime, size, inode): every poll task asks, few edit.
        self._cache: tuple[tuple[int, int, int], list] | None = None

    def feeds(self) -> list[FeedConfig]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise RegistryError(f"cannot read {self.table.rstrip('s')} registry {self.path}: {exc}") from None
        signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if self._cache is None or self._cache[0] != signature:
            self._cache = (signature, self._read())
        return list(self._cache[1])

    def _read(self) -> list[FeedConfig]:
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise RegistryError(f"cannot read {self.table.rstrip('s')} registry {self.path}: {exc}") from None
        entries = data.get(self.table, [])
        if not isinstance(entries, list):
            raise RegistryError(f"{self.path}: '{self.table}' must be an array of tables ([[{self.table}]])")
        feeds = []
        for number, entry in enumerate(entries, start=1):
            try:
                feeds.append(self.model(**{"interval_minutes": self.default_interval, **entry}))
            except (ValidationError, TypeError) as exc:
                raise RegistryError(f"{self.path}: {self.table.rstrip('s')} #{number} is invalid: {exc}") from None
        return feeds

    def get(self, url: str) -> FeedConfig | None:
        return next((f for f in self.feeds() if f.url == url), None)

    def add(self, feed: FeedConfig) -> bool:
        """Add or replace by URL; True if it was new."""
        new = True

        def change(feeds: list[FeedConfig]) -> list[FeedConfig]:
            nonlocal new
            new = all(f.url != feed.url for f in feeds)
            return [f for f in feeds if f.url != feed.url] + [feed]

        self._update(change)
        return new

    def remove(self, url: str) -> bool:
        removed = False

        def change(feeds: list[FeedConfig]) -> list[FeedConfig]:
            nonlocal removed
            kept = [f for f in feeds if f.url != url]
            removed = len(kept) != len(feeds)
            return kept

        self._update(change)
        return removed

    def move(self, old: str, new: str) -> None:
        """A permanent redirect: the feed is known by its new URL from now on."""
        self._update(lambda feeds: [f.model_copy(update={"url": new}) if f.url == old else f for f in feeds])

    def _update(self, change: Callable[[list[FeedConfig]], list[FeedConfig]]) -> None:
        with self._locked():
            self._write(change(self.feeds()))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, feeds: list[FeedConfig]) -> None:
        # Everything is rendered before the temporary file exists, so a bad value leaves no debris.
        blocks = [self.header]
        for feed in feeds:
            lines = [f"[[{self.table}]]"]
            for name, value in feed.model_dump().items():
                if value not in (None, ""):  # an unnamed feed has no name line
                    lines.append(f"{name} = {_toml_value(value)}")
            blocks.append("\n".join(lines) + "\n")
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.table}-", suffix=".toml")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(blocks))
        os.replace(tmp, self.path)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _toml_string(str(value))


def _toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character (DEL too) escaped."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RegistryError(f"cannot store {value!r} in the registry: it is not valid Unicode text") from None
    escaped = json.dumps(value, ensure_ascii=False)  # \" \\ \n \uXXXX are TOML escapes too
    return escaped.replace("\x7f", "\\u007f")
