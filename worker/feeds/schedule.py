"""How a poll's outcome changes a feed's state and when it is polled next. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta

from .http import FetchResult
from .state import FeedState

# Statuses that say "come back later" rather than "you are doing it wrong".
THROTTLED = {429, 503}


def backoff(interval: timedelta, errors: int, cap: timedelta) -> timedelta:
    """Interval doubled per consecutive error, capped."""
    return min(interval * (2 ** min(errors, 20)), cap)


def after_fetch_ok(state: FeedState, result: FetchResult, now: datetime, interval: timedelta, new_items: int,
                   problem: str | None, title: str | None, body_hash: str | None = None) -> FeedState:
    return state.model_copy(update={
        "body_hash": body_hash or state.body_hash,
        "etag": result.etag or state.etag,
        "last_modified": result.last_modified or state.last_modified,
        "last_status": result.status,
        "last_polled": now,
        "last_success": now,
        "last_error": None,
        "last_problem": problem,
        "consecutive_errors": 0,
        "next_poll": now + interval,
        "items_seen": state.items_seen + new_items,
        "title": title or state.title,
    })


def after_not_modified(state: FeedState, result: FetchResult, now: datetime, interval: timedelta) -> FeedState:
    return state.model_copy(update={
        "etag": result.etag or state.etag,
        "last_modified": result.last_modified or state.last_modified,
        "last_status": result.status,  # 304, or 200 with the body seen last time
        "last_polled": now,
        "last_success": now,
        "last_error": None,
        "consecutive_errors": 0,
        "next_poll": now + interval,
    })


def after_gone(state: FeedState, now: datetime) -> FeedState:
    return state.model_copy(update={
        "last_status": 410, "last_polled": now, "retired": True, "next_poll": None,
        "last_error": "410 Gone: the feed is retired and no longer polled",
    })


def after_error(
    state: FeedState, reason: str, now: datetime, interval: timedelta, cap: timedelta,
    status: int | None = None, retry_after: float | None = None,
) -> FeedState:
    errors = state.consecutive_errors + 1
    wait = backoff(interval, errors, cap)
    if status in THROTTLED and retry_after is not None:
        # Honoured up to the backoff cap: "Retry-After: <a date in 9999>" must not stop a feed.
        wait = min(max(timedelta(seconds=min(retry_after, cap.total_seconds())), interval), max(cap, interval))
    return state.model_copy(update={
        "last_status": status,
        "last_polled": now,
        "last_error": reason,
        "consecutive_errors": errors,
        "next_poll": now + wait,
    })


def http_error_reason(status: int) -> str:
    if status in THROTTLED:
        return f"HTTP {status}: the server asks us to slow down"
    return f"HTTP {status}"
