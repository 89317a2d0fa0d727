"""Running a task in this process, as a worker would (the embedded default: no broker)."""

from __future__ import annotations

from functools import partial
from typing import Any

from celery.exceptions import Retry


def run_here(task, args: list, kwargs: dict | None = None) -> Any:
    """Run ``task`` here and return its result; its failure is raised, not logged.

    ``apply(throw=True)`` raises a retry instead of running it (a task whose store was
    unavailable); this runs the retry at once (the task waited its backoff already), until
    the task returns or fails.
    """
    run = partial(task.apply, args=args, kwargs=kwargs or {})
    while True:
        try:
            return run(throw=True).get()
        except Retry as retry:
            if retry.sig is None:
                raise
            run = retry.sig.apply
