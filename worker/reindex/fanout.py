"""The steps of a fanned-out reindex, over the store interface: begin (next generation, marked
as building, cut into chunks), rebuild one chunk, and finish (verify, swap, events rollup).
Who runs the chunks (Celery workers, or this process one after another) is the caller's."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from ..errors import ReindexVerifyError, StoreError
from ..extract import Extractor
from ..models import Article, Failure, utc_now
from ..store.base import ArticleStore, IndexVersion
from .runs import ChunkReport, ReindexFailure, RunRecord

log = logging.getLogger(__name__)

# Refused documents named in the error; the rest are counted.
REFUSED_SHOWN = 5
# A write is in the live generation a moment before it reaches the building one: the final
# check looks again this many times, this far apart, before calling an id missing.
SETTLE_TRIES = 5
SETTLE_SECONDS = 0.5


def begin(store: ArticleStore, extractor_version: str, chunk_size: int) -> RunRecord:
    """Create the next generation, mark it building (from now on every write reaches it too),
    then cut the live one into chunks: planned after the mark, so nothing falls between."""
    live = store.versions().live
    if live is None:
        raise StoreError(f"the {store.kind} store has nothing live to reindex; ingest something first")
    target = store.create_next_version()
    try:
        store.set_building(target)
        chunks = store.plan_chunks(live, chunk_size)
    except BaseException:
        abandon(store, target)
        raise
    log.info("reindex %s: v%d (%d chunks) -> v%d", store.kind, live.version, len(chunks), target.version)
    return RunRecord(id=uuid.uuid4().hex[:12], store=store.kind, source=live, target=target, chunks=chunks,
                     extractor_version=extractor_version, started_at=utc_now())


def rebuild_chunk(store: ArticleStore, extractor: Extractor, run: RunRecord, number: int) -> ChunkReport:
    """Re-extract one chunk of the source generation into the target. Safe to run twice: the
    load is create-only, so a second run finds its articles there and keeps them."""
    started = time.monotonic()
    originals = store.chunk_articles(run.source, run.chunks[number])
    fresh: list[Article] = []
    failed: list[ReindexFailure] = []
    for original, result in zip(originals, extractor.extract_many([stripped(a) for a in originals])):
        if isinstance(result, Failure):
            failed.append(ReindexFailure(id=original.id, origin=original.origin, stage="extract", reason=result.reason))
        else:
            fresh.append(result)
    outcomes = store.load_chunk(run.target, run.source, fresh) if fresh else []
    return ChunkReport(
        number=number, read=len(originals), loaded=sum(o.status in ("created", "updated") for o in outcomes),
        kept=sum(o.status == "unchanged" for o in outcomes), failed=failed,
        refused=[o for o in outcomes if o.status == "failed"], seconds=round(time.monotonic() - started, 3),
    )


def stripped(article: Article) -> Article:
    """The stored text and metadata without what the extractor derives, so nothing stale survives."""
    return article.model_copy(update={"entities": [], "figures": [], "events": [], "extractor_version": None})


def verify(store: ArticleStore, run: RunRecord, reports: list[ChunkReport]) -> None:
    """Every article of the source is in the target, but those that failed re-extraction; the
    store refused none. Counted by id, as ingest goes on meanwhile: the source grows while we look."""
    refused = [o for r in reports for o in r.refused]
    failed = {f.id for r in reports for f in r.failed}
    missing: list[str] = []
    for attempt in range(SETTLE_TRIES):
        missing = [i for i in store.missing_from(run.target, run.source) if i not in failed]
        if not missing and not refused:
            return
        if refused:
            break
        time.sleep(SETTLE_SECONDS)
    why = ""
    if refused:
        shown = "; ".join(f"{o.id}: {o.reason}" for o in refused[:REFUSED_SHOWN])
        more = f" and {len(refused) - REFUSED_SHOWN} more" if len(refused) > REFUSED_SHOWN else ""
        why = f"; the store refused {len(refused)}: {shown}{more}"
    read = sum(r.read for r in reports)
    loaded = store.count(run.target)
    raise ReindexVerifyError(
        f"v{run.target.version} holds {loaded} articles but {loaded + len(missing)} were expected "
        f"({len(missing)} of v{run.source.version} missing{', e.g. ' + ', '.join(missing[:REFUSED_SHOWN]) if missing else ''}; "
        f"{read} read, {len(failed)} failed re-extraction{why}); "
        f"it was dropped and v{run.source.version} stays live. Check the store's health and run the reindex again"
    )


def abandon(store: ArticleStore, target: IndexVersion) -> None:
    try:
        store.drop_version(target)
    except Exception as exc:  # the original error matters more; this one is logged for cleanup
        log.error("could not drop the abandoned generation %s: %s; drop it by hand", target.name, exc)


Swap = Callable[[], None]
