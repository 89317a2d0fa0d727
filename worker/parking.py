"""What an index task does when its batch cannot be indexed: retry, then park; never drop.

The store unavailable (TransientStoreError): retry with exponential backoff within
``task_max_retries`` (in process the task waits out the backoff itself, then Celery runs the
retry at once); past the budget the task parks the batch as a dead letter and reports
each of its documents as failed, naming the letter. Any other error, with a broker: park,
then fail the task as before (without one the user running the CLI sees the error and
still has the files). If even parking fails, the task keeps retrying at the longest delay:
the batch stays in the broker rather than disappear.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from celery.exceptions import TaskPredicate

from .deadletters import DeadLetter, DeadLetterBox, new_letter
from .errors import DeadLetterError, TransientStoreError
from .models import BatchReport, Failure
from .settings import RETRY_DELAY_MAX

log = logging.getLogger(__name__)


def retry_store(task, runtime, exc: TransientStoreError) -> Exception:
    """The store is unavailable: retry the task with exponential backoff, within the budget.
    In process (polls run with ``apply(throw=True)``) the error itself is returned, to raise."""
    if task.request.is_eager:
        return exc
    return _retry(task, runtime.settings, exc)


def index_or_park(task, runtime, origins: list[str], work: Callable[[], BatchReport]) -> BatchReport:
    """``work()``'s report; or Retry; or, past the budget, a report of the batch parked."""
    settings = runtime.settings
    try:
        return work()
    except TransientStoreError as exc:
        if task.request.retries >= settings.task_max_retries:
            return _parked_report(_park(task, runtime, exc, len(origins)), exc, origins)
        if task.request.is_eager:
            # In process Celery runs the retry at once (``apply``): the backoff is waited here.
            time.sleep(settings.store_retry_delay(task.request.retries))
        raise _retry(task, settings, exc)
    except TaskPredicate:  # Retry, Reject, Ignore: Celery's own control flow
        raise
    except Exception as exc:
        if not task.request.is_eager:
            _park(task, runtime, exc, len(origins))
        raise


def park_lost(task, runtime, reason: str, deliveries: int) -> DeadLetter:
    """Park the task's own batch (one document that kills its worker) as a dead letter."""
    request = task.request
    letter = new_letter(task.name, list(request.args or []), dict(request.kwargs or {}), reason=reason,
                        attempts=deliveries, documents=1, task_id=request.id)
    with DeadLetterBox.open(runtime.settings) as box:
        box.park(letter)
    log.error("task=%s parked dead_letter=%s documents=1 attempts=%d reason=%s", request.id, letter.id, deliveries, reason)
    return letter


def _retry(task, settings, exc: TransientStoreError) -> Exception:
    countdown = settings.store_retry_delay(task.request.retries)
    log.warning("task=%s store unavailable, retry %d of %d in %gs: %s", task.request.id, task.request.retries + 1,
                settings.task_max_retries, countdown, exc)
    return task.retry(exc=exc, countdown=countdown, max_retries=settings.task_max_retries)


def _parked_report(letter: DeadLetter, exc: Exception, origins: list[str]) -> BatchReport:
    reason = (f"store unavailable after {letter.attempts} attempts ({exc}); parked as dead letter {letter.id}: "
              f"`newsworker dead-letters retry {letter.id}` replays it")
    return BatchReport(failed=[Failure(origin=o, reason=reason, stage="index") for o in origins])


def _park(task, runtime, exc: Exception, documents: int) -> DeadLetter:
    request = task.request
    letter = new_letter(
        task.name, list(request.args or []), dict(request.kwargs or {}),
        reason=f"{type(exc).__name__}: {exc}", attempts=request.retries + 1, documents=documents, task_id=request.id,
    )
    try:
        with DeadLetterBox.open(runtime.settings) as box:
            box.park(letter)
    except DeadLetterError as park_error:
        log.error("task=%s could not park its batch of %d: %s", request.id, documents, park_error)
        if request.is_eager:
            raise exc from None
        # Still never dropped: the batch stays in the broker, tried again at the longest delay.
        raise task.retry(exc=exc, countdown=RETRY_DELAY_MAX, max_retries=request.retries + 1)
    log.error("task=%s parked dead_letter=%s documents=%d attempts=%d reason=%s",
              request.id, letter.id, documents, letter.attempts, letter.reason)
    return letter
