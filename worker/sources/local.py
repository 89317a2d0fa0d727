"""Reading local files safely: only regular files, only under the folders a reader may use.

Every local read of the worker goes through here (ingested files, their sidecars, ``file:``
feeds), so a symbolic link, a forged task message or a FIFO cannot make it read
``/etc/shadow``, the worker's own ``.env`` or ``/dev/zero``.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError, OutsideRootsError

ROOTS_SETTING = "NEWSWORKER_INBOX_DIRS"


def inside(path: Path, roots: Sequence[Path]) -> Path:
    """``path`` resolved (every link followed), if that lies under one of ``roots``; else InputError."""
    origin = str(path)
    try:
        real = Path(path).resolve(strict=True)
    except FileNotFoundError:
        raise InputError(origin, "no such file") from None
    except (OSError, RuntimeError) as exc:  # a symlink loop is a RuntimeError before 3.13
        raise InputError(origin, f"cannot resolve the path: {getattr(exc, 'strerror', None) or exc}") from None
    if not any(real.is_relative_to(root) for root in resolved_roots(roots)):
        where = f" (a link to {real})" if real != Path(path).absolute() else ""
        raise OutsideRootsError(
            origin,
            f"outside the folders newsworker may read{where}: {', '.join(str(r) for r in roots) or 'none set'}; "
            f"move it into one, or add its folder to {ROOTS_SETTING}",
        )
    return real


def resolved_roots(roots: Sequence[Path]) -> list[Path]:
    # A root that does not exist yet cannot contain anything; resolve(strict=False) keeps it comparable.
    return [Path(root).resolve() for root in roots]


def read_regular(path: Path, roots: Sequence[Path], max_bytes: int, limit_name: str, settle_seconds: float = 0.0) -> bytes:
    """The bytes of the regular file at ``path`` (under ``roots``), at most ``max_bytes``.

    A file changed in the last ``settle_seconds``, or while it was read, is still being
    written: refused, so a half-written file is never stored as an article.
    """
    origin = str(path)
    with open_regular(path, roots, settle_seconds) as handle:
        info = os.fstat(handle.fileno())
        if info.st_size > max_bytes:
            raise InputError(origin, f"file is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit ({limit_name})")
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(origin, f"cannot read: {exc.strerror or exc}") from None
        after = os.fstat(handle.fileno())
        if (after.st_size, after.st_mtime_ns) != (info.st_size, info.st_mtime_ns):
            raise InputError(origin, "changed while it was read, still being written: ingest it again when it is complete")
    if len(data) > max_bytes:  # grew while we read
        raise InputError(origin, f"file is over the {max_bytes:,}-byte limit ({limit_name})")
    return data


@contextmanager
def open_regular(path: Path, roots: Sequence[Path], settle_seconds: float = 0.0) -> Iterator[BinaryIO]:
    """The regular file at ``path`` (under ``roots``) open for reading, for a reader that
    streams it (a WARC file of a gigabyte) instead of taking its bytes at once."""
    origin = str(path)
    real = inside(path, roots)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the path was
        # resolved, so a link appearing now is a swap under our feet.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except PermissionError:
        raise InputError(origin, "permission denied") from None
    except IsADirectoryError:
        raise InputError(origin, "is a folder, not a file") from None
    except FileNotFoundError:
        raise InputError(origin, "no such file") from None
    except OSError as exc:
        raise InputError(origin, f"cannot read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise InputError(origin, "is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(origin, f"not a regular file ({_kind(info.st_mode)}): only regular files are read")
        if settle_seconds and time.time() - info.st_mtime < settle_seconds:
            raise InputError(origin, f"modified less than {settle_seconds:g} s ago, still being written: ingest it again "
                                     "when it is complete (NEWSWORKER_SETTLE_SECONDS)")
        yield handle


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a plain file"
