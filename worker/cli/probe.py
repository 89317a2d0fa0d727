"""What the broker says about itself, for `status`. Bounded waits; never raises."""

from __future__ import annotations

from celery import Celery

from ..settings import Settings

PING_TIMEOUT = 1.0


def broker_health(app: Celery, settings: Settings) -> dict[str, str]:
    return {"queue depth": _queue_depth(app, settings), "workers": _workers(app)}


def _queue_depth(app: Celery, settings: Settings) -> str:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=PING_TIMEOUT)
            with conn.channel() as channel:
                _name, depth, _consumers = channel.queue_declare(settings.queue, passive=True)
                return str(depth)
    except Exception as exc:  # status must answer even when the broker does not
        return f"unknown ({type(exc).__name__}: broker unreachable or queue not declared yet)"


def _workers(app: Celery) -> str:
    try:
        replies = app.control.ping(timeout=PING_TIMEOUT) or []
    except Exception as exc:
        return f"unknown ({type(exc).__name__})"
    return f"{len(replies)} answering" + (": " + ", ".join(sorted(k for r in replies for k in r)) if replies else "")
