"""`events`, `show-event` and `search --duplicates` end to end on the embedded default, with
the multi-source set (tests/data/events) ingested through the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from worker.cli.main import cli

ARTICLES = Path(__file__).resolve().parent / "data" / "events" / "articles.jsonl"


@pytest.fixture(scope="module")
def run(tmp_path_factory, nlp):
    """The set ingested once into one store; every test reads it."""
    import os

    home = tmp_path_factory.mktemp("events-cli")
    saved = {k: v for k, v in os.environ.items() if k.startswith("NEWSWORKER_") and not k.startswith("NEWSWORKER_TEST_")}
    for k in saved:
        del os.environ[k]
    os.environ["NEWSWORKER_DATA_DIR"] = str(home / "var")
    os.environ["NEWSWORKER_SETTLE_SECONDS"] = "0"
    feed = home / "articles.ndjson"
    with feed.open("w", encoding="utf-8") as out:
        for line in ARTICLES.read_text(encoding="utf-8").splitlines():
            a = json.loads(line)
            out.write(json.dumps({k: a[k] for k in ("title", "text", "source", "url", "published")}) + "\n")
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    assert "50 indexed, 0 already present, 0 failed" in invoke("ingest", str(feed)).stdout
    yield invoke
    del os.environ["NEWSWORKER_DATA_DIR"]
    del os.environ["NEWSWORKER_SETTLE_SECONDS"]
    os.environ.update(saved)


def test_timeline_of_iraq_troop_levels_with_sources(run):
    out = run("events", "--location", "Iraq", "--type", "troop_level").stdout
    lines = [line for line in out.splitlines() if line[:4].isdigit()]
    dates = [line.split()[0] for line in lines]
    assert dates == sorted(dates)  # oldest first
    assert any(line.startswith("2021-01-15  United States troop level in Iraq: 2,500") for line in lines)
    assert any(line.startswith("2024-09-27  United States troop level in Iraq: 2,500") for line in lines)  # not merged


def test_events_json_and_show_event_side_by_side(run):
    records = json.loads(run("events", "Iraq", "--json").stdout)
    drawdown = next(r for r in records if r["value"] == 2500 and r["location"] == "Iraq" and r["date"].startswith("2021-01-15"))
    assert len(drawdown["sources"]) >= 3 and "Reuters" in drawdown["sources"]
    out = run("show-event", drawdown["key"]).stdout
    assert out.splitlines()[0].startswith("United States troop level in Iraq: 2,500")
    for source in drawdown["sources"]:
        assert f"- {source} · " in out
    assert "[copy of " in out  # the republished wire story is marked


def test_unknown_event_key_is_a_clear_error(run):
    result = run("show-event", "troop_level:nowhere:-:1:2000-01-01", code=1)
    assert "no event with key" in result.output and "newsworker events" in result.output


def test_search_collapses_wire_copies_unless_asked(run):
    collapsed = json.loads(run("search", "Iraq drawdown", "--json").stdout)["hits"]
    everything = json.loads(run("search", "Iraq drawdown", "--duplicates", "--json").stdout)["hits"]
    copies = [h for h in everything if h["duplicate_of"]]
    assert copies and not any(h["duplicate_of"] for h in collapsed)
    originals = {h["id"]: h for h in collapsed}
    for copy in copies:
        assert copy["id"] in originals[copy["duplicate_of"]]["duplicates"]
    original = originals[copies[0]["duplicate_of"]]
    assert "troop_level:united-states:iraq:2500:2021-01-15" in original["event_keys"]
