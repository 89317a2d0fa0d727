"""Hostile files in one `newsworker ingest` batch with good ones: each hostile file ends as a
failure naming it and the reason (or, when it still holds an article, indexed cleanly), and
every good file is indexed."""

from __future__ import annotations

import codecs
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SEED
from worker.cli.main import cli
from worker.models import SearchQuery
from worker.runtime import Runtime

STORY = (
    "Troops to stay in the region\n"
    "Officials confirm the plan\n"
    "Officials said on Tuesday that {n:,} soldiers would stay in the region while talks continue, "
    "and that the decision followed weeks of negotiations between the two governments.\n"
)
MAX_FILE_BYTES = 1024 * 1024


def story(n: int) -> str:
    return STORY.format(n=n)


# A file name that is not UTF-8 (Latin-1 "café"), as an old archive might hold.
NON_UTF8_NAME = b"caf\xe9-latin1-name.txt"
# name -> (bytes, the failure reason it must get; None: indexed)
HOSTILE: dict[str, tuple[bytes, str | None]] = {
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "binary content, not a text article"),
    "control-heavy.txt": (b"Title\x07\x1b[31m\x01\x02\x03\x04\x05\x06\x0e\x0f text " * 20, "binary content, not a text article"),
    "empty.json": (b"   \n", "file is empty"),
    "deep.json": (b"[" * 200_000 + b"]" * 200_000, "JSON is nested too deeply to be an article export"),
    "deep-object.json": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "JSON is nested too deeply to be an article export"),
    "huge-number.json": (b'{"title": "t", "body": "some text", "published": ' + b"9" * 5000 + b"}",
                         "JSON could not be read: Exceeds the limit (4300 digits)"),
    "not-an-object.json": (b'"just a string"', "expected an object or a list of objects, got str"),
    "too-big.txt": (b"", f"over the {MAX_FILE_BYTES:,}-byte limit (NEWSWORKER_MAX_FILE_BYTES)"),  # made sparse below
    "deep.html": (("<html><body>" + "<div>" * 60_000 + "<p>x</p>" + "</div>" * 60_000 + "</body></html>").encode(),
                  "no main text found in the HTML page"),
    # Still articles: indexed, with the hostile parts cleaned away.
    "controls-in-text.txt": (("Bell\x07 in the \u202eheadline\u202c\nA standfirst\u2028with a line separator\n"
                              + story(3100).split("\n", 2)[2].replace("soldiers", "sol\x08diers\u200b")).encode(), None),
    "surrogates.json": (json.dumps({"title": "Lone \ud800 surrogate", "body": story(3200) + " \udfff end",
                                    "authors": ["Name \ud801"]}).encode(), None),
    "utf16.txt": (codecs.BOM_UTF16_LE + story(3300).encode("utf-16-le"), None),
    "entities.html": (('<!DOCTYPE html [<!ENTITY a "' + "a" * 50_000 + '"><!ENTITY x SYSTEM "file:///etc/passwd">]>'
                       "<html><body><article><p>" + story(3400).replace("\n", " ") + "</p>" + "<p>&a;&a;&x;</p>" * 2000
                       + "</article></body></html>").encode(), None),
}


@pytest.fixture
def run(env_settings, nlp, monkeypatch):
    env_settings()  # clears NEWSWORKER_* and chdirs into tmp_path
    monkeypatch.setenv("NEWSWORKER_MAX_FILE_BYTES", str(MAX_FILE_BYTES))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def batch(tmp_path) -> Path:
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(SEED, folder / "good-seed.txt")
    (folder / "good-story.txt").write_text(story(4100))
    (folder / "good.ndjson").write_bytes(
        json.dumps({"title": "Ndjson one", "body": story(4200)}).encode() + b"\n"
        + b"[" * 100_000 + b"\n"  # one hostile line among good ones
        + json.dumps({"title": "Ndjson three", "body": story(4300)}).encode() + b"\n"
    )
    for name, (data, _reason) in HOSTILE.items():
        (folder / name).write_bytes(data)
    with (folder / "too-big.txt").open("wb") as handle:
        handle.truncate(1024**3)  # 1 GB, sparse: refused by its size, never read
    Path(os.fsdecode(os.fsencode(folder) + b"/" + NON_UTF8_NAME)).write_text(story(4400))
    return folder


def test_hostile_files_in_one_batch(run, batch, env_settings):
    started = time.monotonic()
    result = run("ingest", str(batch), "--json")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    reasons = {Path(f["origin"]).name: f["reason"] for f in report["failed"]}
    for name, (_data, reason) in HOSTILE.items():
        if reason is None:
            assert name not in reasons, f"{name}: {reasons.get(name)}"
        else:
            assert reason in reasons.get(name, ""), f"{name}: {reasons.get(name)!r}"
    assert "nested too deeply" in reasons["good.ndjson:2"]
    indexed = {Path(o["origin"].split("#")[0].split(":")[0]).name for o in report["indexed"]}
    good = {"good-seed.txt", "good-story.txt", "good.ndjson", "caf\\xe9-latin1-name.txt"}
    still_articles = {name for name, (_data, reason) in HOSTILE.items() if reason is None}
    assert good | still_articles <= indexed, indexed
    assert sum(1 for o in report["indexed"] if "good.ndjson" in o["origin"]) == 2
    assert elapsed < 60


def test_what_was_indexed_from_hostile_files_is_clean(run, batch, env_settings):
    run("ingest", str(batch), "--json")
    runtime = Runtime(env_settings())
    try:
        hits = runtime.store.search(SearchQuery(size=100, facets=False, include_duplicates=True)).hits
        articles = {Path(a.origin).name: a for a in (runtime.store.get(h.id) for h in hits)}
    finally:
        runtime.close()
    controls = articles["controls-in-text.txt"]
    assert controls.title == "Bell in the headline"
    assert controls.standfirst == "A standfirst"
    assert "soldiers" in controls.body and "\x08" not in controls.body and "\u200b" not in controls.body
    surrogates = articles["surrogates.json#1"]
    assert surrogates.title == "Lone \ufffd surrogate" and surrogates.authors == ["Name \ufffd"]
    assert "root:" not in articles["entities.html"].body and "a" * 1000 not in articles["entities.html"].body
    assert "caf\\xe9-latin1-name.txt" in articles


def test_human_summary_prints_undecodable_names(run, batch):
    out = run("ingest", str(batch)).stdout
    assert "too-big.txt: file is 1,073,741,824 bytes, over the 1,048,576-byte limit" in out
