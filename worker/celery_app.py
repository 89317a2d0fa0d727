"""The Celery application, built from Settings by one factory.

``celery -A worker.celery_app worker`` finds ``app`` here; it is built on first access
(PEP 562), so importing this module for ``create_app`` reads no environment.
"""

from __future__ import annotations

from celery import Celery

from .runtime import Runtime
from .settings import Settings

TASK_MODULES = ["worker.tasks"]


def create_app(settings: Settings | None = None) -> Celery:
    settings = settings or Settings()
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
        worker_prefetch_multiplier=1,
        task_track_started=True,
        result_expires=7 * 24 * 3600,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    if settings.ingest_queue:
        app.conf.task_routes = {"newsworker.ingest_feed_items": {"queue": settings.ingest_queue}}
    app.conf.beat_schedule = {
        "poll-due-feeds": {"task": "newsworker.poll_due_feeds", "schedule": settings.feeds.beat_seconds},
    }
    runtime = Runtime(settings)
    app.newsworker_runtime = runtime  # type: ignore[attr-defined]
    import worker.tasks  # registers the shared tasks with this app

    runtime.queue_sink = worker.tasks.QueueSink(app)

    return app


def runtime_of(app: Celery) -> Runtime:
    runtime = getattr(app, "newsworker_runtime", None)
    if runtime is None:  # an app not made by create_app, e.g. Celery's default app
        runtime = app.newsworker_runtime = Runtime(Settings())  # type: ignore[attr-defined]
    return runtime


_app: Celery | None = None


def __getattr__(name: str) -> Celery:
    global _app
    if name not in ("app", "celery"):
        raise AttributeError(name)
    if _app is None:
        _app = create_app()
    return _app
