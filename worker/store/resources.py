"""Schemas and index templates live as files in ``mappings/`` (shipped in worker/resources), not in code."""

from __future__ import annotations

from pathlib import Path

from ..settings import DEFAULT_MAPPINGS_DIR

__all__ = ["DEFAULT_MAPPINGS_DIR", "mapping_text"]


def mapping_text(folder: Path, name: str) -> str:
    path = folder / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileNotFoundError(
            f"mapping file {path} is missing ({exc.strerror}); point NEWSWORKER_MAPPINGS_DIR at a folder that has it, or reinstall newsworker"
        ) from None
