"""Index templates from ``mappings/elasticsearch/``: plain JSON files, read and named here.

``component_templates/NAME.json`` and ``index_templates/NAME.json`` become the templates
``{prefix}-NAME``; the placeholder ``{{prefix}}`` inside a file is replaced by the prefix
(which settings restrict to index-name characters, so the substitution cannot break the
JSON). Nothing about the mappings themselves is written in code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

FOLDER = "elasticsearch"
PLACEHOLDER = "{{prefix}}"


@dataclass(frozen=True)
class Template:
    name: str
    body: dict[str, Any]
    path: Path


@dataclass(frozen=True)
class Templates:
    component: list[Template]
    index: list[Template]


def load_templates(mappings_dir: Path, prefix: str) -> Templates:
    root = Path(mappings_dir) / FOLDER
    return Templates(
        component=_load(root / "component_templates", prefix),
        index=_load(root / "index_templates", prefix),
    )


def _load(folder: Path, prefix: str) -> list[Template]:
    files = sorted(folder.glob("*.json"))
    if not files:
        raise ConfigError(
            f"no Elasticsearch templates in {folder}; point NEWSWORKER_MAPPINGS_DIR at a folder that has it, or reinstall newsworker"
        )
    return [Template(f"{prefix}-{path.stem}", _read(path, prefix), path) for path in files]


def _read(path: Path, prefix: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8").replace(PLACEHOLDER, prefix)
        body = json.loads(text)
    except OSError as exc:
        raise ConfigError(f"cannot read the template {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"the template {path} is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ConfigError(f"the template {path} must hold a JSON object")
    return body


def article_mapping(templates: Templates) -> dict[str, Any]:
    """The ``properties`` the article indices get (for checks against the Article model)."""
    for template in templates.component:
        if template.path.stem == "articles-mappings":
            return template.body["template"]["mappings"]
    raise ConfigError("component_templates/articles-mappings.json is missing from the mappings folder")
