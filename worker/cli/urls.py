"""The URLs `newsworker ingest` is given: as arguments (beside paths) and in `--urls FILE`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from ..models import Failure
from ..pages.urls import checked, is_url, read_url_lines


def split_targets(arguments: Sequence[str]) -> tuple[tuple[Path, ...], list[str]]:
    """Paths and URLs among the arguments: an http:// or https:// argument is a URL."""
    return tuple(Path(a) for a in arguments if not is_url(a)), [a for a in arguments if is_url(a)]


def gather(arguments: Sequence[str], url_file: Path | None) -> tuple[list[str], list[Failure]]:
    """Every URL to ingest, each once, and the refused ones (a bad line of the file names its line)."""
    listed, refused = read_url_lines(str(url_file), _text(url_file)) if url_file else ([], [])
    good, bad = checked([*arguments, *listed])
    return good, refused + bad


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.UsageError(f"--urls {path}: cannot read it as UTF-8 text: {exc}") from None


def enqueued_line(files: int, urls: int, tasks: int, mode: str) -> str:
    what = f"{files} files" + (f" and {urls} URLs" if urls else "") if files or not urls else f"{urls} URLs"
    return f"Enqueued {what} in {tasks} tasks on {mode}."
