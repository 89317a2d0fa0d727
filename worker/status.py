"""What `newsworker status` reports. Pure: the CLI gathers what each part says about itself
(store stats, feed registry and states, broker answers, the task error journal) and these
functions put it together."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from .feeds.registry import FeedConfig
from .feeds.state import FeedState
from .models import Failure, StoreStats
from .reindex.progress import ReindexStatus
from .task_errors import TaskError

FeedHealthState = Literal["ok", "failing", "overdue", "retired", "never_polled"]
# Most alarming first: the order `status` lists feeds in.
HEALTH_ORDER: tuple[FeedHealthState, ...] = ("failing", "overdue", "retired", "never_polled", "ok")
RECENT_ERRORS = 10


class FeedHealth(BaseModel):
    url: str
    name: str | None = None
    health: FeedHealthState
    interval_minutes: int
    last_polled: datetime | None = None
    last_status: int | None = None
    last_success: datetime | None = None
    consecutive_errors: int = 0
    next_poll: datetime | None = None
    items_seen: int = 0
    last_error: str | None = None
    last_problem: str | None = None


class FeedsStatus(BaseModel):
    total: int = 0
    by_health: dict[str, int] = {}
    feeds: list[FeedHealth] = []
    error: str | None = None


class QueueDepth(BaseModel):
    name: str
    waiting: int | None = None
    error: str | None = None


class Workers(BaseModel):
    """Workers answering a broadcast: those consuming our queues, and any others on the broker."""

    answering: int | None = None
    names: list[str] = []
    others: list[str] = []
    error: str | None = None


class ErrorEntry(BaseModel):
    at: datetime | None = None
    kind: Literal["task", "input", "feed"]
    origin: str
    error: str


class BrokerStatus(BaseModel):
    queues: list[QueueDepth] = []
    unacked: int | None = None
    unacked_error: str | None = None
    workers: Workers = Workers()


def feed_health(feed: FeedConfig, state: FeedState | None, now: datetime) -> FeedHealth:
    """A feed is overdue when a whole interval has passed since it was due: nobody polls it
    (is beat running?). Failing wins over overdue: its backoff is what keeps it waiting."""
    state = state or FeedState(url=feed.url)
    if state.retired:
        health: FeedHealthState = "retired"
    elif state.last_polled is None:
        health = "never_polled"
    elif state.consecutive_errors:
        health = "failing"
    elif state.next_poll is not None and state.next_poll + timedelta(minutes=feed.interval_minutes) <= now:
        health = "overdue"
    else:
        health = "ok"
    return FeedHealth(
        url=feed.url, name=feed.name, health=health, interval_minutes=feed.interval_minutes,
        last_polled=state.last_polled, last_status=state.last_status, last_success=state.last_success,
        consecutive_errors=state.consecutive_errors, next_poll=state.next_poll, items_seen=state.items_seen,
        last_error=state.last_error, last_problem=state.last_problem,
    )


def feeds_status(feeds: Sequence[FeedConfig], states: dict[str, FeedState], now: datetime) -> FeedsStatus:
    health = [feed_health(f, states.get(f.url), now) for f in feeds]
    health.sort(key=lambda h: (HEALTH_ORDER.index(h.health), h.url))
    counts = Counter(h.health for h in health)
    return FeedsStatus(total=len(health), by_health={k: counts[k] for k in HEALTH_ORDER if counts[k]}, feeds=health)


def last_errors(
    tasks: Sequence[TaskError], inputs: Sequence[Failure], feeds: Sequence[FeedHealth], limit: int = RECENT_ERRORS
) -> list[ErrorEntry]:
    """The most recent errors of every kind, newest first: task failures and retries (from
    the workers), inputs that could not be ingested (from the store), feeds failing now."""
    entries = [
        *(ErrorEntry(at=t.at, kind="task", origin=f"{t.task}[{t.task_id}]", error=f"{t.outcome}: {t.error}") for t in tasks),
        *(ErrorEntry(at=f.at, kind="input", origin=f.origin, error=f"{f.stage}: {f.reason}") for f in inputs),
        *(ErrorEntry(at=f.last_polled, kind="feed", origin=f.url,
                     error=f"{f.consecutive_errors} in a row: {f.last_error or 'HTTP ' + str(f.last_status)}")
          for f in feeds if f.consecutive_errors),
    ]
    entries.sort(key=lambda e: e.at.timestamp() if e.at else float("-inf"), reverse=True)
    return entries[:limit]


class Status(BaseModel):
    """The whole report; ``newsworker status --json`` prints it."""

    mode: Literal["in_process", "broker"]
    broker: str | None = None
    queue: str
    queues: list[QueueDepth] = []
    unacked: int | None = None
    unacked_error: str | None = None
    workers: Workers | None = None
    store: StoreStats | None = None
    store_error: str | None = None
    feeds: FeedsStatus
    # Registered sitemaps, judged as feeds are (their ``feeds`` list holds the sitemaps).
    sitemaps: FeedsStatus = FeedsStatus()
    last_errors: list[ErrorEntry] = []
    task_errors_error: str | None = None
    dead_letters: int | None = None
    dead_letters_error: str | None = None
    # The reindex recorded for this store (running, or stopped and waiting for --resume).
    reindex: ReindexStatus | None = None
    reindex_error: str | None = None
    spacy_model: str
    extractor_version: str
