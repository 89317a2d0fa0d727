"""Install anywhere: the lock pins what pyproject asks for, and the wheel carries every file read."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from worker.resources import packaged
from worker.settings import DEFAULT_CONFIG_DIR, DEFAULT_KIBANA_OBJECTS, DEFAULT_MAPPINGS_DIR, Settings

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)", line)
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def declared() -> list[Requirement]:
    project = PYPROJECT["project"]
    names = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return [Requirement(r) for r in names]


@pytest.mark.parametrize("requirement", declared(), ids=str)
def test_every_declared_dependency_is_locked_inside_its_range(requirement):
    pins = locked()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement} is not in constraints.txt: refresh it (README, Installing elsewhere)"
    assert requirement.specifier.contains(pins[name], prereleases=True), (
        f"constraints.txt pins {name}=={pins[name]}, outside {requirement.specifier}: refresh it"
    )


def test_lxml_html_clean_is_declared_because_justext_imports_it():
    import justext  # noqa: F401  (imports lxml.html.clean at import time)

    assert "lxml-html-clean" in {canonicalize_name(r.name) for r in declared()}


def test_shipped_folders_are_the_repository_folders_not_copies():
    for name in ("mappings", "config", "kibana"):
        assert packaged(name).resolve() == ROOT / name
    assert DEFAULT_MAPPINGS_DIR == packaged("mappings")
    assert DEFAULT_CONFIG_DIR == packaged("config")
    assert DEFAULT_KIBANA_OBJECTS == packaged("kibana", "saved_objects.ndjson")


def test_package_data_globs_cover_every_file_the_code_reads():
    globs = PYPROJECT["tool"]["setuptools"]["package-data"]["worker.resources"]
    for folder in ("mappings", "config", "kibana"):
        for path in (ROOT / folder).rglob("*"):
            if not path.is_file() or path.suffix == ".md":  # docs stay in the repository
                continue
            relative = path.relative_to(ROOT).as_posix()
            assert any(fnmatch.fnmatchcase(relative, g) and relative.count("/") == g.count("/") for g in globs), (
                f"{relative} would be missing from the wheel: add it to [tool.setuptools.package-data]"
            )


def test_feed_registry_is_the_users_never_the_packages(tmp_path, monkeypatch):
    for name in [n for n in __import__("os").environ if n.startswith("NEWSWORKER_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    assert Settings().feeds.registry == Path("config/feeds.toml")
    assert Settings(data_dir=tmp_path / "d").feeds.registry == tmp_path / "d" / "feeds.toml"
    monkeypatch.setenv("NEWSWORKER_DATA_DIR", str(tmp_path / "e"))
    assert Settings().feeds.registry == tmp_path / "e" / "feeds.toml"
    monkeypatch.setenv("NEWSWORKER_FEEDS__REGISTRY", str(tmp_path / "mine.toml"))
    assert Settings().feeds.registry == tmp_path / "mine.toml"
