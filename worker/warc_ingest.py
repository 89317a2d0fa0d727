"""The ingest pipeline over one WARC file, or one span of it: plan, hand off, read, index.

With a broker the file's first task plans it into spans of NEWSWORKER_WARC__PAGES_PER_TASK
pages (record offsets, read from the headers), hands every span but the first to tasks of
their own, so a CC-NEWS file of a gigabyte spreads over the workers, then indexes its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import InputError
from .extract import Extractor
from .ingest import ingest_documents
from .models import BatchReport, Failure
from .settings import WarcSettings
from .sources.warc import Progress, WarcFilter, plan_chunks, read_warc
from .store import ArticleStore

# Where a span past the first goes: (path, first offset, stop offset), sent to another task.
SpanHandOff = Callable[[Path, int, int], None]


def ingest_warc(
    path: Path, store: ArticleStore, extractor: Extractor, limits: WarcSettings, wanted: WarcFilter, *,
    roots: Sequence[Path], settle_seconds: float = 0.0, batch_size: int = 100,
    span: tuple[int, int] | None = None, hand_off: SpanHandOff | None = None, progress: Progress | None = None,
) -> BatchReport:
    """Index the wanted HTML pages of the WARC file at ``path`` (under ``roots``); ``span``: only
    the records beginning in [first, stop). With ``hand_off`` and no span, the file is planned
    and only its first span is indexed here."""
    if hand_off is not None and span is None:
        try:
            spans = plan_chunks(path, roots, limits, wanted, limits.pages_per_task)
        except InputError as exc:
            return BatchReport(failed=[Failure(origin=exc.origin, reason=exc.reason, stage="read")])
        span = spans[0]
        for first, stop in spans[1:]:
            hand_off(path, first, stop)
    items = read_warc(path, roots, limits, wanted, span=span, settle_seconds=settle_seconds, progress=progress)
    return ingest_documents(items, store, extractor, batch_size)
