"""SQLite generations: whole store files side by side, and a pointer naming the live one.

Generation 1 is the configured file itself (``var/newsworker.db``), so a store made before
generations existed is simply version 1 with no pointer. A rebuild writes
``newsworker.v2.db`` beside it; the swap replaces the small pointer file
``newsworker.generations.json`` with ``os.replace``, which is atomic on POSIX and Windows,
so a reader sees either the old generation or the new one, never half of a switch.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError

# The files SQLite keeps beside a database in WAL mode; they belong to their generation.
SIDECARS = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class Pointer:
    live: int
    previous: int | None
    # Generations that were ever made live: finished and verified rebuilds (1, the base file,
    # always). Rollback goes only to these, never to a half-built file.
    complete: frozenset[int] = frozenset({1})
    # The generation a reindex is building: writers put every write there too, after the live one.
    building: int | None = None


@dataclass(frozen=True)
class Generations:
    base: Path

    @property
    def pointer_path(self) -> Path:
        return self.base.with_name(f"{self.base.stem}.generations.json")

    def path(self, version: int) -> Path:
        if version == 1:
            return self.base
        return self.base.with_name(f"{self.base.stem}.v{version}{self.base.suffix}")

    def kept(self) -> list[int]:
        """Versions whose file exists, ascending."""
        pattern = re.compile(rf"{re.escape(self.base.stem)}\.v(\d+){re.escape(self.base.suffix)}")
        found = {1} if self.base.exists() else set()
        if self.base.parent.is_dir():
            for entry in self.base.parent.iterdir():
                match = pattern.fullmatch(entry.name)
                if match and int(match.group(1)) > 1:
                    found.add(int(match.group(1)))
        return sorted(found)

    def read(self) -> Pointer:
        """The pointer; without a pointer file the base file is live and nothing precedes it."""
        try:
            data = json.loads(self.pointer_path.read_text(encoding="utf-8"))
            live, previous = int(data["live"]), _optional_int(data.get("previous"))
            # A pointer written before "complete" existed: what it names was live once.
            done = data.get("complete", [1, live, *([previous] if previous is not None else [])])
            return Pointer(live=live, previous=previous, complete=frozenset(int(v) for v in done) | {1, live},
                           building=_optional_int(data.get("building")))
        except FileNotFoundError:
            return Pointer(live=1, previous=None)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise StoreError(
                f"the generation pointer {self.pointer_path} is unreadable ({exc}); "
                'write {"live": N} naming an existing generation, or delete it to use '
                f"{self.base.name}"
            ) from None

    def previous(self) -> int | None:
        """What rollback restores: the generation live before the last swap, if still kept,
        else the newest kept one below live."""
        pointer = self.read()
        kept = [v for v in self.kept() if v in pointer.complete]
        if pointer.previous is not None and pointer.previous in kept and pointer.previous != pointer.live:
            return pointer.previous
        older = [v for v in kept if v < pointer.live]
        return older[-1] if older else None

    def write(self, pointer: Pointer) -> None:
        """Replace the pointer in one step; durable before it returns."""
        self.pointer_path.parent.mkdir(parents=True, exist_ok=True)
        data: dict = {"live": pointer.live, "previous": pointer.previous, "complete": sorted(pointer.complete | {pointer.live})}
        if pointer.building is not None:
            data["building"] = pointer.building
        body = json.dumps(data) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=self.pointer_path.name + ".", dir=self.pointer_path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.pointer_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(self.pointer_path.parent)

    def signature(self) -> tuple[int, int] | None:
        """Changes whenever the pointer is replaced: connections compare it to reopen."""
        try:
            st = self.pointer_path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def remove(self, version: int) -> None:
        path = self.path(version)
        for name in (path, *(path.with_name(path.name + s) for s in SIDECARS)):
            name.unlink(missing_ok=True)


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[arg-type]


def _fsync_dir(folder: Path) -> None:
    # The rename itself must survive a power cut; not every platform can open a folder.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
