"""The Celery application, built from Settings by one factory.

``celery -A worker.celery_app worker`` finds ``app`` here; it is built on first access
(PEP 562), so importing this module for ``create_app`` reads no environment.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from celery import Celery
from kombu import Queue

from . import logjson, tasklog
from .runtime import Runtime
from .settings import Settings, load_settings

TASK_MODULES = ["worker.tasks", "worker.warc_tasks"]


def create_app(settings: Settings | None = None) -> Celery:
    settings = settings or load_settings()
    app = Celery("newsworker", include=TASK_MODULES)
    app.conf.update(
        # No broker means the CLI runs tasks in process with task.apply(); memory:// is never used to send.
        broker_url=settings.broker_url or "memory://",
        result_backend=settings.results_url or None,
        task_default_queue=settings.queue,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # With late acks a worker reserves no more tasks than it runs at once: a killed worker strands only those.
        worker_prefetch_multiplier=1,
        # On a lost broker connection a running task finishes (its work is kept) but cannot be
        # acknowledged; Redis hands it out again after the visibility timeout, and being
        # idempotent it then finds its documents already stored.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        task_track_started=True,
        result_expires=7 * 24 * 3600,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    if urlsplit(settings.broker_url).scheme in ("redis", "rediss"):
        app.conf.broker_transport_options = redis_transport_options(settings)
    routes = {"newsworker.reindex_chunk": {"queue": settings.reindex_queue_name}}
    if settings.ingest_queue:
        routes["newsworker.ingest_feed_items"] = {"queue": settings.ingest_queue}
    app.conf.task_routes = routes
    # A worker started without -Q consumes every queue named here (Celery's default is only the
    # main one): reindex chunks are worked off with no extra flag, on a queue of their own.
    app.conf.task_create_missing_queues = True
    app.conf.task_queues = [Queue(settings.queue), Queue(settings.reindex_queue_name)]
    app.conf.beat_schedule = {
        "poll-due-feeds": {"task": "newsworker.poll_due_feeds", "schedule": settings.feeds.beat_seconds},
        "poll-due-sitemaps": {"task": "newsworker.poll_due_sitemaps", "schedule": settings.feeds.beat_seconds},
    }
    runtime = Runtime(settings)
    app.newsworker_runtime = runtime  # type: ignore[attr-defined]
    import worker.tasks  # registers the shared tasks with this app
    import worker.warc_tasks  # noqa: F401

    runtime.queue_sink = worker.tasks.QueueSink(app)
    runtime.queue_pages = worker.tasks.QueuePages(app)
    tasklog.connect()
    logjson.connect_worker(settings)

    return app


def redis_transport_options(settings: Settings) -> dict[str, float]:
    """Acks-late on Redis: an unacknowledged task (its worker died) is handed out again once
    the visibility timeout has passed; the sweep for such tasks runs a tenth of it apart
    (every 10 s at most) so a short timeout is honoured too."""
    timeout = settings.broker_visibility_timeout
    return {
        "visibility_timeout": timeout,
        "unacked_restore_interval": max(1, min(10, timeout // 10)),
        "unacked_restore_throttle": 1,
    }


def runtime_of(app: Celery) -> Runtime:
    runtime = getattr(app, "newsworker_runtime", None)
    if runtime is None:  # an app not made by create_app, e.g. Celery's default app
        runtime = app.newsworker_runtime = Runtime(load_settings())  # type: ignore[attr-defined]
    return runtime


_app: Celery | None = None


def __getattr__(name: str) -> Celery:
    global _app
    if name not in ("app", "celery"):
        raise AttributeError(name)
    if _app is None:
        _app = create_app()
    return _app
