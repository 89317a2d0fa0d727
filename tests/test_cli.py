"""End to end through the CLI on the embedded default: files -> SQLite -> search."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SEED, SEEDS
from worker.cli.main import cli


@pytest.fixture
def run(env_settings, nlp):
    """Invoke the CLI in process with settings pointing into tmp_path."""
    env_settings()  # clears NEWSWORKER_* and chdirs into tmp_path
    runner = CliRunner()

    def invoke(*args: str, code: int | None = 0):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, result.output
        return result

    return invoke


def _search_ids(run, *args: str) -> list[str]:
    data = json.loads(run("search", *args, "--json").stdout)
    return [hit["id"] for hit in data["hits"]]


def test_seed_ingest_search_filters_and_second_ingest(run):
    first = run("ingest", str(SEEDS))
    assert "1 indexed, 0 already present, 0 failed" in first.stdout
    assert "Running in process" in first.stderr

    found = _search_ids(run, "troop drawdown")
    assert len(found) == 1
    seed_id = found[0]
    assert _search_ids(run, "troop drawdown", "--entity", "Iraq") == [seed_id]
    assert _search_ids(run, "--figure", "troops>=2000") == [seed_id]
    assert _search_ids(run, "--entity", "Iraq", "--figure", "troops>=2000") == [seed_id]
    assert _search_ids(run, "--figure", "troops>=200000") == []
    assert _search_ids(run, "troop drawdown", "--entity", "Narnia") == []

    second = run("ingest", str(SEEDS))
    assert "0 indexed, 1 already present, 0 failed" in second.stdout


def test_search_prints_highlights_and_facets(run):
    run("ingest", str(SEED))
    out = run("search", "drawdown").stdout
    assert "US reduction of troops in Iraq is complete, says Pentagon" in out
    assert "[drawdown]" in out
    assert "Facets:" in out


def test_show_prints_the_stored_article(run):
    run("ingest", str(SEED))
    seed_id = _search_ids(run, "drawdown")[0]
    shown = json.loads(run("show", seed_id, "--json").stdout)
    assert shown["id"] == seed_id
    assert shown["published_at"].startswith("2021-01-15")
    assert "Christopher Miller" in run("show", seed_id).stdout
    missing = run("show", "no-such-id", code=1)
    assert "no article with id 'no-such-id'" in missing.output


def test_extract_json_meets_the_acceptance_list(run):
    data = json.loads(run("extract", str(SEED), "--json").stdout)
    canonical = {e["canonical"] for e in data["entities"]}
    assert {"Iraq", "Afghanistan", "Christopher Miller", "ISIS"} <= canonical
    values = {f["value"] for f in data["figures"]}
    assert {2500, 3000, 4500, 32000, 98000} <= values
    assert "(FILES)" not in data["body"] and "SAUL LOEB" not in data["body"]
    assert "Powered by automated translation" not in data["body"]
    # extract indexes nothing
    assert json.loads(run("status", "--json").stdout)["store"]["articles"] == 0


def _bad_batch(folder: Path) -> None:
    folder.mkdir()
    shutil.copy(SEED, folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 100)
    (folder / "broken.json").write_text('{"title": "x", "body": ')
    (folder / "undecodable.txt").write_bytes(bytes(range(0x80, 0x100)) * 40)
    (folder / "caption-only.txt").write_text("Title\n\n(FILES) A photo. / AFP / SOMEONE\n")


def test_bad_inputs_are_named_and_do_not_stop_the_batch(run, tmp_path):
    _bad_batch(tmp_path / "batch")
    result = run("ingest", str(tmp_path / "batch"), "--json")
    report = json.loads(result.stdout)
    assert len(report["indexed"]) == 1
    reasons = {Path(f["origin"]).name: f["reason"] for f in report["failed"]}
    assert reasons["empty.txt"] == "file is empty"
    assert "binary" in reasons["binary.txt"]
    assert "malformed JSON" in reasons["broken.json"]
    assert "decode" in reasons["undecodable.txt"] or "binary" in reasons["undecodable.txt"]
    assert "no article text" in reasons["caption-only.txt"]
    status = json.loads(run("status", "--json").stdout)
    assert status["store"]["failures"] == len(report["failed"])


def test_human_summary_lists_each_failure_on_one_line(run, tmp_path):
    _bad_batch(tmp_path / "batch")
    out = run("ingest", str(tmp_path / "batch")).stdout
    failed_lines = [line for line in out.splitlines() if line.strip().startswith("failed:")]
    assert len(failed_lines) == 5
    assert any("broken.json: malformed JSON" in line for line in failed_lines)


def test_nothing_ingested_exits_non_zero(run, tmp_path):
    (tmp_path / "empty.txt").write_text("")
    result = run("ingest", str(tmp_path / "empty.txt"), str(tmp_path / "missing.txt"), code=1)
    assert "empty.txt: file is empty" in result.stdout
    assert "missing.txt: no such file or folder" in result.stdout


def test_progress_bar_for_more_than_a_few_files(run, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(7):
        (folder / f"a{i}.json").write_text(json.dumps({"title": f"Story {i}", "body": f"Story number {i} says 1{i},000 people marched in Paris."}))
    result = run("ingest", str(folder))
    assert "Ingesting" in result.stderr
    assert "7 indexed" in result.stdout


def test_cli_flags_fill_source_and_date(run, tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("Talks resume\n\nNegotiators met again on Tuesday to discuss the ceasefire in detail.\n")
    run("ingest", str(path), "--source", "Example Times", "--published", "2021-02-03")
    hit = json.loads(run("search", "negotiators", "--json").stdout)["hits"][0]
    assert hit["source"] == "Example Times"
    assert hit["published_at"].startswith("2021-02-03")
    assert _search_ids(run, "negotiators", "--source", "example times", "--since", "2021-02-01", "--until", "2021-02-03")


def test_bad_filter_syntax_is_a_clear_usage_error(run):
    result = run("search", "--figure", "soldiers>=5", code=1)
    assert "unknown figure category 'soldiers'" in result.output


def test_status_says_which_mode_is_in_force(run):
    out = run("status").stdout
    assert "in process (no broker configured" in out
    assert "sqlite" in out


def test_console_script_runs_the_readme_flow(tmp_path):
    """The installed `newsworker` entry point, as the README's first command uses it."""
    exe = Path(sys.executable).with_name("newsworker")
    if not exe.exists():
        pytest.skip("newsworker console script not installed in this environment")
    env = {"PATH": str(exe.parent), "HOME": str(tmp_path), "NEWSWORKER_DATA_DIR": str(tmp_path / "var"),
           "NEWSWORKER_SETTLE_SECONDS": "0"}
    subprocess.run([str(exe), "ingest", str(SEEDS)], check=True, env=env, cwd=tmp_path, capture_output=True)
    out = subprocess.run([str(exe), "search", "troop drawdown"], check=True, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert "US reduction of troops in Iraq is complete" in out.stdout


def test_search_output_says_when_counting_and_facets_stopped_short():
    from worker.cli import render
    from worker.models import FacetCount, SearchHit, SearchResult

    hit = SearchHit(id="a", score=1.0, title="Troops")
    bounded = SearchResult(total=10_000, total_relation="gte", hits=[hit], facets={"source": [FacetCount(value="Wire", count=1000)]},
                           facets_top=1000)
    out = render.search_result(bounded, color=False)
    assert out.startswith("10,000+ articles match; showing 1:")
    assert "Facets (of the best 1,000 matches):" in out
    exact = render.search_result(SearchResult(total=3, hits=[hit], facets={"source": [FacetCount(value="Wire", count=3)]}), color=False)
    assert exact.startswith("3 articles match") and "Facets:" in exact
