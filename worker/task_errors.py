"""The last task failures and retries, kept in Redis so `newsworker status` can show them:
otherwise a worker's errors live only in that worker's log, often on another machine."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import redis
from pydantic import BaseModel, ValidationError

from .settings import Settings

KEEP = 50
TIMEOUT_SECONDS = 1.0


class TaskError(BaseModel):
    at: datetime
    task: str
    task_id: str
    outcome: Literal["retry", "failure"]
    error: str
    queue: str | None = None
    retries: int = 0


def journal_key(settings: Settings) -> str:
    """One list per deployment queue, so two deployments sharing a Redis keep theirs apart."""
    return f"newsworker:task-errors:{settings.queue}"


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)


def record(client: redis.Redis, key: str, entry: TaskError, keep: int = KEEP) -> None:
    """Newest first, only the last ``keep``: months of retries must not grow Redis."""
    with client.pipeline() as pipe:
        pipe.lpush(key, entry.model_dump_json())
        pipe.ltrim(key, 0, keep - 1)
        pipe.execute()


def recent(client: redis.Redis, key: str, limit: int) -> list[TaskError]:
    entries = []
    for raw in client.lrange(key, 0, limit - 1):
        try:
            entries.append(TaskError.model_validate_json(raw))
        except ValidationError:
            continue  # written by another version: not worth failing `status` over
    return entries
