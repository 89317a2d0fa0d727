"""`newsworker kibana import` against a real local HTTP server answering like Kibana."""

from __future__ import annotations

import base64
import json
import socket
from email import message_from_bytes
from email.policy import HTTP
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from tests.httpserver import LocalServer, Reply, Seen
from worker.cli.main import cli
from worker.kibana import load_objects, retarget
from worker.models import Article, EventMention

OBJECTS = ROOT / "kibana" / "saved_objects.ndjson"
IMPORT = "/api/saved_objects/_import"


def _uploaded(seen: Seen) -> list[dict]:
    """The NDJSON objects in the multipart body's `file` part."""
    message = message_from_bytes(
        b"Content-Type: " + seen.headers["content-type"].encode() + b"\r\n\r\n" + seen.body, policy=HTTP
    )
    parts = [p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "file"]
    assert len(parts) == 1, "one multipart part named file"
    return [json.loads(line) for line in parts[0].get_content().decode("utf-8").splitlines() if line.strip()]


def _json(status: int, data: dict) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


def kibana_like(seen: Seen, missing: set[str] = frozenset()) -> Reply:
    """Kibana's import endpoint: xsrf and auth checks, then one result per uploaded object;
    a saved search whose data view is in ``missing`` fails with missing_references."""
    if "kbn-xsrf" not in seen.headers:
        return _json(400, {"statusCode": 400, "error": "Bad Request", "message": "Request must contain a kbn-xsrf header."})
    if "authorization" not in seen.headers:
        return _json(401, {"statusCode": 401, "error": "Unauthorized",
                           "message": "[security_exception]: missing authentication credentials"})
    ok, errors = [], []
    for obj in _uploaded(seen):
        refs = [r for r in obj.get("references", []) if r["id"] in missing]
        meta = {"title": obj["attributes"]["title"]}
        if refs:
            errors.append({"id": obj["id"], "type": obj["type"], "meta": meta, "error": {
                "type": "missing_references", "references": [{"type": r["type"], "id": r["id"]} for r in refs]}})
        else:
            ok.append({"id": obj["id"], "type": obj["type"], "meta": meta})
    return _json(200, {"success": not errors, "successCount": len(ok), "successResults": ok, "errors": errors})


@pytest.fixture
def kibana():
    with LocalServer() as server:
        yield server


@pytest.fixture
def run(env_settings, monkeypatch, kibana):
    env_settings()
    monkeypatch.setenv("NEWSWORKER_KIBANA__URL", kibana.base)
    monkeypatch.setenv("NEWSWORKER_KIBANA__USERNAME", "elastic")
    monkeypatch.setenv("NEWSWORKER_KIBANA__PASSWORD", "s3cret-pw")
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(cli, ["kibana", "import", *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return invoke


def _file_objects() -> list[dict]:
    return [json.loads(line) for line in OBJECTS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_import_posts_the_ndjson_as_multipart_with_xsrf_overwrite_and_auth(run, kibana):
    kibana.serve(IMPORT, kibana_like)
    result = run()
    [seen] = kibana.hits(IMPORT)
    assert seen.method == "POST"
    assert parse_qs(urlsplit(seen.path).query) == {"overwrite": ["true"]}
    assert seen.headers["kbn-xsrf"] == "true"
    assert seen.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert seen.headers["authorization"] == "Basic " + base64.b64encode(b"elastic:s3cret-pw").decode()
    assert _uploaded(seen) == _file_objects()
    objects = _file_objects()
    assert f"{len(objects)} saved objects imported" in result.stdout
    for obj in objects:
        assert f"{obj['type']} {obj['id']}: {obj['attributes']['title']}" in result.stdout
    assert "s3cret-pw" not in result.output


def test_space_option_and_url_option(run, kibana, monkeypatch):
    monkeypatch.setenv("NEWSWORKER_KIBANA__URL", "http://127.0.0.1:9")  # --url must win over the setting
    kibana.serve(f"/s/analysts{IMPORT}", kibana_like)
    run("--url", kibana.base, "--space", "analysts")
    assert len(kibana.hits(f"/s/analysts{IMPORT}")) == 1


def test_api_key_is_sent_instead_of_basic_auth(run, kibana, monkeypatch):
    monkeypatch.setenv("NEWSWORKER_KIBANA__API_KEY", "a2V5OnNlY3JldA==")
    kibana.serve(IMPORT, kibana_like)
    result = run("--json")
    assert kibana.hits(IMPORT)[0].headers["authorization"] == "ApiKey a2V5OnNlY3JldA=="
    assert json.loads(result.stdout)["success"] is True
    assert "a2V5OnNlY3JldA==" not in result.output


def test_objects_kibana_rejects_are_listed_and_exit_non_zero(run, kibana):
    kibana.serve(IMPORT, lambda seen: kibana_like(seen, missing={"newsworker-events"}))
    result = run(code=1)
    failed = [o for o in _file_objects() if any(r["id"] == "newsworker-events" for r in o.get("references", []))]
    assert failed, "the file has a saved search on the events data view"
    for obj in failed:
        assert f"failed: search {obj['id']} ({obj['attributes']['title']}): missing references: index-pattern newsworker-events" in result.stdout
    assert f"{len(failed)} failed" in result.stdout


def test_refused_request_says_status_message_and_what_to_do(run, kibana, monkeypatch):
    monkeypatch.delenv("NEWSWORKER_KIBANA__USERNAME")
    kibana.serve(IMPORT, kibana_like)
    result = run(code=1)
    assert "answered HTTP 401: [security_exception]: missing authentication credentials" in result.output
    assert "NEWSWORKER_KIBANA__USERNAME" in result.output


def test_unreachable_kibana_is_a_clear_error_with_the_password_redacted(run):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run("--url", f"http://elastic:hunter2@127.0.0.1:{port}", code=1)
    assert "cannot be reached" in result.output
    assert "hunter2" not in result.output and "elastic:***@127.0.0.1" in result.output


def test_saved_objects_match_the_data_contract():
    by_id = {o["id"]: o for o in _file_objects()}
    articles, events = by_id["newsworker-articles"], by_id["newsworker-events"]
    assert articles["type"] == events["type"] == "index-pattern"
    assert articles["attributes"]["timeFieldName"] in Article.model_fields
    assert events["attributes"]["timeFieldName"] in EventMention.model_fields
    searches = [o for o in by_id.values() if o["type"] == "search"]
    troop = next(o for o in searches if o["attributes"]["title"] == "Troop level changes")
    source = json.loads(troop["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    # events are nested: KQL needs the nested form to match within one event.
    assert source["query"] == {"query": 'events:{ type : "troop_level_change" }', "language": "kuery"}
    for search in searches:
        ref_name = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])["indexRefName"]
        assert [r["id"] for r in search["references"] if r["name"] == ref_name][0] in by_id


def test_data_views_follow_the_index_prefix():
    objects = [json.loads(line) for line in load_objects(OBJECTS, "news2").splitlines()]
    titles = {o["id"]: o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    assert titles == {"newsworker-articles": "news2-articles", "newsworker-events": "news2-events"}
    search = next(o for o in objects if o["type"] == "search")
    assert retarget(search, "news2") == search


def _mapped(name: str) -> dict:
    template = json.loads((ROOT / "mappings" / "elasticsearch" / "component_templates" / f"{name}-mappings.json").read_text())
    return template["template"]["mappings"]["properties"]


def test_fields_the_saved_objects_use_are_mapped_in_elasticsearch():
    by_id = {o["id"]: o for o in _file_objects()}
    fields = {"newsworker-articles": _mapped("articles"), "newsworker-events": _mapped("events")}
    for view_id, properties in fields.items():
        assert properties[by_id[view_id]["attributes"]["timeFieldName"]]["type"] == "date"
    for search in (o for o in by_id.values() if o["type"] == "search"):
        properties = fields[search["references"][0]["id"]]
        assert set(search["attributes"]["columns"]) <= set(properties)
        assert all(field in properties for field, _order in search["attributes"]["sort"])
    events = fields["newsworker-articles"]["events"]
    assert events["type"] == "nested" and "type" in events["properties"]
