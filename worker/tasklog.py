"""One structured log line per task run, from Celery's signals, so every task reports alike
(ids, batch size, counts, duration, retries, queue, outcome) and the task bodies stay thin.

A run ends in success, retry (the task will run again) or failure. Retries and failures
of tasks a worker ran also go to the Redis error journal (worker.task_errors) that
`newsworker status` shows; in process the CLI prints them itself.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

import redis
from celery import Task, signals
from celery.exceptions import Retry
from celery.states import FAILURE, IGNORED, REJECTED, RETRY, SUCCESS

from . import task_errors
from .logjson import scrub, secrets_of
from .models import utc_now

LOGGER = logging.getLogger("newsworker.task")
OWN_TASKS = "newsworker."
ERROR_CHARS = 500
OUTCOMES = {SUCCESS: "success", RETRY: "retry", FAILURE: "failure", REJECTED: "rejected", IGNORED: "ignored"}
LEVELS = {"success": logging.INFO, "ignored": logging.INFO, "retry": logging.WARNING}
# What a task returns, counted: BatchReport lists, and a reindex's article total.
_COUNTED = (("indexed", "indexed"), ("duplicates", "unchanged"), ("failed", "failed"))

_SUMMARY_COUNTS = (("batch_size", "batch"), ("indexed", "indexed"), ("unchanged", "unchanged"), ("failed", "failed"),
                   ("new_items", "new items"))

_started: dict[str, float] = {}
_journals: dict[str, redis.Redis] = {}


def connect() -> None:
    """Hook the handlers into Celery's task signals (once per process, whatever the app)."""
    signals.task_prerun.connect(_prerun, dispatch_uid="newsworker.tasklog.prerun", weak=False)
    signals.task_postrun.connect(_postrun, dispatch_uid="newsworker.tasklog.postrun", weak=False)


# -- the line: pure functions ---------------------------------------------------------------


def batch_size(args: Any) -> int | None:
    """Items a task was handed: its first argument's length (paths, URLs, documents), 1 for one URL."""
    if not args:
        return None
    first = args[0]
    if isinstance(first, str):
        return 1
    return len(first) if isinstance(first, (list, tuple)) else None


def counts_of(retval: Any) -> dict[str, int]:
    """indexed / unchanged / failed (and new_items for feed polls) summed over what a task returned."""
    totals: Counter[str] = Counter()
    for report in retval if isinstance(retval, list) else [retval]:
        if not isinstance(report, dict):
            continue
        batch = report["report"] if isinstance(report.get("report"), dict) else report  # a poll carries its batch
        for key, name in _COUNTED:
            if isinstance(batch.get(key), list):
                totals[name] += len(batch[key])
        if isinstance(report.get("new_items"), int):
            totals["new_items"] += report["new_items"]
        if isinstance(report.get("articles"), int) and "indexed" not in batch:  # reindex / rollback
            totals["indexed"] += report["articles"]
    return dict(totals)


def error_text(retval: Any) -> str:
    exc = retval.exc if isinstance(retval, Retry) and retval.exc is not None else retval
    if exc is None:  # in process Celery hands the signal no exception: the caller shows it
        return "raised to the caller (in process)"
    text = f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else str(exc)
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


def run_fields(name: str, request: Any, args: Any, retval: Any, state: str, seconds: float | None) -> dict[str, Any]:
    """The fields of one run's log line (and JSON object)."""
    delivery = getattr(request, "delivery_info", None) or {}
    outcome = OUTCOMES.get(state, str(state).lower())
    fields: dict[str, Any] = {
        "event": "task",
        "task": name,
        "task_id": request.id,
        "parent_id": getattr(request, "parent_id", None),
        "root_id": getattr(request, "root_id", None),
        "queue": delivery.get("routing_key"),
        "redelivered": bool(delivery.get("redelivered")),
        "eager": bool(getattr(request, "is_eager", False)),
        "worker": getattr(request, "hostname", None),
        "outcome": outcome,
        "retries": getattr(request, "retries", 0) or 0,
        "batch_size": batch_size(args),
        "duration_ms": None if seconds is None else round(seconds * 1000, 1),
    }
    if outcome == "success":
        fields.update(counts_of(retval))
    else:
        fields["error"] = error_text(retval)
    if isinstance(retval, Retry) and retval.when is not None:
        fields["retry_in_s"] = retval.when
    return fields


def summary(fields: dict[str, Any]) -> str:
    """The line as text: what a person reads in the worker's log."""
    counted = ", ".join(f"{label} {fields[k]}" for k, label in _SUMMARY_COUNTS if fields.get(k) is not None)
    where = "in process" if fields["eager"] else f"queue {fields['queue']}"
    text = f"task {fields['task']}[{fields['task_id']}] {fields['outcome']}"
    text += f" ({fields['duration_ms']} ms, {where}, retries {fields['retries']})"
    if counted:
        text += ": " + counted
    if "error" in fields:
        text += f"; {fields['error']}"
    if "retry_in_s" in fields:
        text += f"; again in {fields['retry_in_s']} s"
    return text


# -- the signal handlers: I/O -----------------------------------------------------------------


def _ours(task: Task | None) -> bool:
    return task is not None and (task.name or "").startswith(OWN_TASKS)


def _prerun(task_id: str | None = None, task: Task | None = None, **_: Any) -> None:
    if _ours(task) and task_id:
        _started[task_id] = time.monotonic()


def _postrun(task_id: str | None = None, task: Task | None = None, args: Any = None, retval: Any = None,
             state: str | None = None, **_: Any) -> None:
    if not _ours(task) or task_id is None:
        return
    began = _started.pop(task_id, None)
    seconds = None if began is None else time.monotonic() - began
    fields = run_fields(task.name, task.request, args, retval, state or "", seconds)
    LOGGER.log(LEVELS.get(fields["outcome"], logging.ERROR), summary(fields), extra=fields)
    if fields["outcome"] in ("retry", "failure") and not fields["eager"]:
        _journal(task, fields)


def _journal(task: Task, fields: dict[str, Any]) -> None:
    """Keep the error for `status`; the task's own outcome stands whether or not Redis answers."""
    from .celery_app import runtime_of

    settings = runtime_of(task.app).settings
    entry = task_errors.TaskError(
        at=utc_now(), task=fields["task"], task_id=fields["task_id"], outcome=fields["outcome"],
        error=scrub(fields["error"], secrets_of(settings)), queue=fields["queue"], retries=fields["retries"],
    )
    url = settings.lock_url
    try:
        client = _journals.get(url) or _journals.setdefault(url, task_errors.connect(url))
        task_errors.record(client, task_errors.journal_key(settings), entry)
    except redis.RedisError as exc:
        LOGGER.warning("could not keep the error of task %s in Redis for `status`: %s", fields["task_id"], exc)
