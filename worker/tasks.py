"""Celery tasks: thin shells over worker.ingest. Idempotent (upsert by stable id), so acks_late."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from celery import shared_task

from .errors import TransientStoreError
from .ingest import ingest_files
from .sources.metadata import Overrides

log = logging.getLogger(__name__)

INGEST_PATHS = "newsworker.ingest_paths"
RETRY_BACKOFF_MAX = 600


@shared_task(bind=True, name=INGEST_PATHS, acks_late=True, reject_on_worker_lost=True)
def ingest_paths(self, paths: list[str], overrides: dict | None = None) -> dict:
    """Read, normalize, extract and index the files at ``paths``; returns a BatchReport as JSON."""
    from .celery_app import runtime_of

    runtime = runtime_of(self.app)
    started = time.monotonic()
    try:
        report = ingest_files(
            [Path(p) for p in paths],
            runtime.store,
            runtime.extractor,
            Overrides(**(overrides or {})),
            runtime.settings.max_file_bytes,
        )
    except TransientStoreError as exc:
        countdown = min(2 ** self.request.retries, RETRY_BACKOFF_MAX)
        log.warning("store unavailable, retry %d in %ss: %s", self.request.retries + 1, countdown, exc)
        raise self.retry(exc=exc, countdown=countdown, max_retries=runtime.settings.task_max_retries)
    log.info(
        "ingest_paths task=%s files=%d indexed=%d duplicates=%d failed=%d seconds=%.2f",
        self.request.id, len(paths), len(report.indexed), len(report.duplicates), len(report.failed),
        time.monotonic() - started,
    )
    return report.model_dump(mode="json")
