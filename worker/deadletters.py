"""Dead letters: index batches that could not be indexed at all, kept in Redis to be replayed.

A task parks its batch here when the store stayed unavailable through its whole retry
budget (or, with a broker, when it failed for a reason no retry fixes), instead of letting
Celery acknowledge it into oblivion. ``newsworker dead-letters`` lists, replays and drops them.

One Redis hash per queue, ``newsworker:deadletters:<queue>``: field = the letter's id, value =
its JSON. The id comes from the task and its arguments, so parking the same batch again (a
redelivered task, a replay that failed again) replaces its entry rather than adding another.
A letter leaves the hash only when it is re-queued or indexed, and only if nobody parked it
again meanwhile (compare-and-delete), so a replay can never remove a newer failure.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Literal

import redis
from pydantic import BaseModel, ValidationError

from .errors import DeadLetterError
from .inprocess import run_here
from .settings import Settings, redact_url

log = logging.getLogger(__name__)

KEY_PREFIX = "newsworker:deadletters:"

# Delete the field only if it still holds exactly the letter that was replayed.
_COMPARE_AND_DELETE = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
    return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""


class DeadLetter(BaseModel):
    """One parked batch: the task to run again, with the arguments it was sent."""

    id: str
    task: str
    args: list[Any]
    kwargs: dict[str, Any]
    reason: str
    # Microseconds kept: two parkings of one batch must never serialize alike (compare-and-delete).
    failed_at: datetime
    attempts: int
    documents: int
    task_id: str | None = None

    def line(self) -> str:
        when = self.failed_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        return (f"{self.id}  {self.task}  {self.documents} document(s)  {self.attempts} attempt(s)  "
                f"failed {when}: {self.reason}")


class Replay(BaseModel):
    """What replaying one letter did."""

    id: str
    outcome: Literal["queued", "indexed", "parked_again", "failed"]
    task_id: str | None = None
    detail: str = ""


def letter_id(task: str, args: list[Any], kwargs: dict[str, Any]) -> str:
    canonical = json.dumps([task, args, kwargs], sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def new_letter(task: str, args: list[Any], kwargs: dict[str, Any], *, reason: str, attempts: int, documents: int,
               task_id: str | None = None) -> DeadLetter:
    return DeadLetter(
        id=letter_id(task, args, kwargs), task=task, args=args, kwargs=kwargs, reason=reason,
        failed_at=datetime.now(timezone.utc), attempts=attempts, documents=documents, task_id=task_id,
    )


def key_for(queue: str) -> str:
    return KEY_PREFIX + queue


class DeadLetterBox:
    """The dead letters of one queue in one Redis."""

    def __init__(self, client: redis.Redis, queue: str, where: str = "Redis"):
        self.client = client
        self.key = key_for(queue)
        self.where = where

    @classmethod
    def open(cls, settings: Settings) -> "DeadLetterBox":
        """The box for these settings (Redis: NEWSWORKER_REDIS_URL, else the broker's), or DeadLetterError."""
        url = settings.lock_url
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
        box = cls(client, settings.queue, redact_url(url))
        try:
            with box._talking("connecting"):
                client.ping()
        except DeadLetterError:
            client.close()
            raise
        return box

    def park(self, letter: DeadLetter) -> None:
        with self._talking("parking a batch"):
            self.client.hset(self.key, letter.id, letter.model_dump_json())

    def all(self) -> list[DeadLetter]:
        """Every letter, oldest failure first."""
        with self._talking("listing dead letters"):
            raw = self.client.hgetall(self.key)
        letters = [letter for field, value in raw.items() if (letter := self._parse(field, value)) is not None]
        return sorted(letters, key=lambda letter: (letter.failed_at, letter.id))

    def get(self, letter_id: str) -> DeadLetter | None:
        with self._talking("reading a dead letter"):
            value = self.client.hget(self.key, letter_id)
        return self._parse(letter_id.encode(), value) if value is not None else None

    def remove_if_unchanged(self, letter: DeadLetter) -> bool:
        """Remove ``letter`` unless it was parked again (or dropped) since it was read."""
        with self._talking("removing a replayed dead letter"):
            current = self.client.hget(self.key, letter.id)
            if current is None or DeadLetter.model_validate_json(current) != letter:
                return False
            return bool(self.client.eval(_COMPARE_AND_DELETE, 1, self.key, letter.id, current))

    def drop(self, letter_id: str) -> bool:
        with self._talking("dropping a dead letter"):
            return bool(self.client.hdel(self.key, letter_id))

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "DeadLetterBox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _parse(self, field: bytes, value: bytes) -> DeadLetter | None:
        try:
            return DeadLetter.model_validate_json(value)
        except ValidationError as exc:
            # Not ours to delete: say so each time it is listed, and leave it for `drop`.
            log.warning("dead letter %s in %s is unreadable and was skipped (`dead-letters drop` removes it): %s",
                        field.decode(errors="replace"), self.key, exc.errors()[0]["msg"])
            return None

    @contextmanager
    def _talking(self, action: str) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as exc:
            raise DeadLetterError(
                f"Redis at {self.where} failed while {action} ({exc}); dead letters are kept there: "
                "start Redis or point NEWSWORKER_REDIS_URL at one"
            ) from None


def replay(app: Any, box: DeadLetterBox, letter: DeadLetter, in_process: bool) -> Replay:
    """Send the letter's task again (with a broker) or run it here (without one).

    The letter is removed only once re-queued, or once run here without being parked again.
    """
    task = app.tasks.get(letter.task)
    if task is None:
        return Replay(id=letter.id, outcome="failed", detail=f"this version has no task named {letter.task!r}; kept")
    if not in_process:
        sent = task.apply_async(args=letter.args, kwargs=letter.kwargs)
        box.remove_if_unchanged(letter)
        return Replay(id=letter.id, outcome="queued", task_id=sent.id)
    try:
        report = run_here(task, letter.args, letter.kwargs)
    except Exception as exc:  # the task's own failure, reported per letter; the others still run
        return Replay(id=letter.id, outcome="failed", detail=f"{type(exc).__name__}: {exc}; kept")
    if box.remove_if_unchanged(letter) or box.get(letter.id) is None:
        return Replay(id=letter.id, outcome="indexed", detail=_counts(report))
    return Replay(id=letter.id, outcome="parked_again", detail=_counts(report))


def _counts(report: Any) -> str:
    if not isinstance(report, dict):
        return ""
    return ", ".join(f"{len(report.get(k) or [])} {k}" for k in ("indexed", "duplicates", "failed"))
