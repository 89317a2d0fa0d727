"""The files newsworker ships: SQL schemas, Elasticsearch templates, default config, Kibana objects.

They are read and edited in the repository's top-level ``mappings/``, ``config/`` and
``kibana/`` folders; this package links to those folders, so the wheel carries the same
files and an installed newsworker finds them here, wherever it runs from.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from ..errors import ConfigError


def packaged(*parts: str) -> Path:
    """The path of a shipped file or folder, e.g. ``packaged("mappings", "sqlite.sql")``."""
    found = files(__name__).joinpath(*parts)
    if not isinstance(found, Path):
        # Settings and stores take paths (users point them at their own copies), so the
        # package must be installed as files, not imported from a zip.
        raise ConfigError(f"newsworker's {'/'.join(parts)} is not a file on disk ({found}): install newsworker unzipped")
    return found
