"""What the store, the feed states, the broker and Redis say about themselves, for `status`.
Bounded waits; never raises on what it asks: status must answer even when the broker does not."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from urllib.parse import urlsplit

import redis
from celery import Celery
from kombu.transport.redis import PRIORITY_STEPS
from kombu.transport.redis import Channel as RedisChannel

from .. import task_errors
from ..errors import NewsworkerError, StoreError
from ..extract import EXTRACTOR_VERSION
from ..logjson import scrub, secrets_of
from ..models import utc_now
from ..runtime import Runtime
from ..settings import Settings, redact_url
from ..status import (RECENT_ERRORS, BrokerStatus, FeedsStatus, QueueDepth, Status, Workers, feeds_status,
                      last_errors)
from ..task_errors import TaskError

PING_TIMEOUT = 1.0


def queue_names(settings: Settings) -> list[str]:
    names = [settings.queue]
    if settings.ingest_queue and settings.ingest_queue != settings.queue:
        names.append(settings.ingest_queue)
    return names


def priority_keys(queue: str) -> list[str]:
    """The Redis lists kombu keeps one queue in: one per priority step (the plain name for 0)."""
    return [queue if step == 0 else f"{queue}{RedisChannel.sep}{step}" for step in PRIORITY_STEPS]


def broker_status(app: Celery, settings: Settings) -> BrokerStatus:
    names = queue_names(settings)
    if urlsplit(settings.broker_url).scheme in ("redis", "rediss"):
        status = _redis_depths(settings, names)
    else:
        status = BrokerStatus(queues=[_declared_depth(app, settings, name) for name in names])
    unreachable = next((q.error for q in status.queues if q.error), None)
    # A broadcast to a broker that does not answer would wait on kombu's reconnects.
    status.workers = Workers(error=unreachable) if unreachable else _workers(app, settings, names)
    return status


def _redis_depths(settings: Settings, names: list[str]) -> BrokerStatus:
    client = task_errors.connect(settings.broker_url)
    try:
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                for key in priority_keys(name):
                    pipe.llen(key)
            pipe.hlen(RedisChannel.unacked_key)
            values = pipe.execute()
    except redis.RedisError as exc:
        error = _error(exc, settings)
        return BrokerStatus(queues=[QueueDepth(name=n, error=error) for n in names], unacked_error=error)
    finally:
        client.close()
    steps = len(PRIORITY_STEPS)
    queues = [QueueDepth(name=n, waiting=sum(values[i * steps:(i + 1) * steps])) for i, n in enumerate(names)]
    return BrokerStatus(queues=queues, unacked=values[-1])


def _declared_depth(app: Celery, settings: Settings, name: str) -> QueueDepth:
    """Other brokers (AMQP): a passive declare answers with the message count."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=PING_TIMEOUT)
            with conn.channel() as channel:
                _name, depth, _consumers = channel.queue_declare(name, passive=True)
                return QueueDepth(name=name, waiting=depth)
    except Exception as exc:  # unreachable, or no worker has declared the queue yet
        return QueueDepth(name=name, error=_error(exc, settings))


def workers_on_queues(app: Celery, settings: Settings) -> Workers:
    """The workers answering that consume this installation's queues."""
    return _workers(app, settings, queue_names(settings))


def _workers(app: Celery, settings: Settings, names: list[str]) -> Workers:
    """One broadcast (waits PING_TIMEOUT): who answers, and which of them consume our queues."""
    try:
        replies = app.control.inspect(timeout=PING_TIMEOUT).active_queues() or {}
    except Exception as exc:
        return Workers(error=_error(exc, settings))
    ours = sorted(w for w, queues in replies.items() if any(q.get("name") in names for q in queues or []))
    return Workers(answering=len(ours), names=ours, others=sorted(set(replies) - set(ours)))


def recent_task_errors(settings: Settings, limit: int = RECENT_ERRORS) -> tuple[list[TaskError], str | None]:
    """The workers' last task failures and retries (worker.tasklog keeps them in Redis)."""
    client = task_errors.connect(settings.lock_url)
    try:
        return task_errors.recent(client, task_errors.journal_key(settings), limit), None
    except redis.RedisError as exc:
        return [], _error(exc, settings)
    finally:
        client.close()


def _error(exc: Exception, settings: Settings) -> str:
    return scrub(f"{type(exc).__name__}: {exc}", secrets_of(settings))


def collect_status(settings: Settings, runtime: Runtime, app_factory: Callable[[Settings], Celery]) -> Status:
    """Everything `status` shows; each part that does not answer says why, in its own place."""
    store, store_error = None, None
    try:
        store = runtime.store.stats()
    except StoreError as exc:
        store_error = str(exc)
    feeds = _feeds(runtime, runtime.registry)
    sitemaps = _feeds(runtime, runtime.sitemap_registry)
    tasks, tasks_error = ([], None) if settings.eager else recent_task_errors(settings)
    broker = None if settings.eager else broker_status(app_factory(settings), settings)
    return Status(
        mode="in_process" if settings.eager else "broker",
        broker=redact_url(settings.broker_url) or None,
        queue=settings.queue,
        **(broker.model_dump() if broker else {}),
        store=store,
        store_error=store_error,
        feeds=feeds,
        sitemaps=sitemaps,
        last_errors=last_errors(tasks, store.recent_failures if store else [], [*feeds.feeds, *sitemaps.feeds]),
        task_errors_error=tasks_error,
        **_dead_letters(settings),
        **_reindex(settings),
        spacy_model=settings.spacy_model,
        extractor_version=EXTRACTOR_VERSION,
    )


def _dead_letters(settings: Settings) -> dict:
    """How many batches are parked; a Redis that does not answer is said, not raised."""
    from ..deadletters import DeadLetterBox
    from ..errors import DeadLetterError

    try:
        box = DeadLetterBox.open(settings)
    except DeadLetterError as exc:
        return {"dead_letters_error": str(exc)}
    try:
        return {"dead_letters": len(box.all())}
    except DeadLetterError as exc:
        return {"dead_letters_error": str(exc)}
    finally:
        box.client.close()


def _reindex(settings: Settings) -> dict:
    """The store's recorded reindex run and its progress, from Redis where its chunks report."""
    from .. import locks
    from ..errors import LockUnavailableError
    from ..reindex.progress import reindex_status
    from ..reindex.runs import Runs, run_key

    try:
        client = locks.connect(settings.lock_url)
    except LockUnavailableError as exc:
        return {"reindex_error": str(exc)}
    try:
        name = locks.reindex_lock_name(settings)
        runs = Runs(client, run_key(name))
        record = runs.load()
        if record is None:
            return {}
        holder = locks.StoreLock(client, name).holder()
        return {"reindex": reindex_status(record, runs.reports(record.id), runs.watched(record.id),
                                          holder.describe() if holder else None, utc_now())}
    except (redis.RedisError, LockUnavailableError) as exc:
        return {"reindex_error": _error(exc, settings)}
    finally:
        client.close()


def _feeds(runtime: Runtime, registry) -> FeedsStatus:
    """The health of a registry's feeds (or sitemaps)."""
    try:
        return feeds_status(registry.feeds(), runtime.feed_states.all(), utc_now())
    except (NewsworkerError, sqlite3.Error) as exc:
        return FeedsStatus(error=str(exc))
