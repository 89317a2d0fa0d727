"""Progress of a fanned-out reindex: the sum over its finished chunks. Pure."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from .runs import ChunkReport, RunRecord, Watch


class RunProgress(BaseModel):
    run_id: str
    target_version: int
    done: int
    total: int
    chunks_done: int
    chunks_total: int
    articles_per_second: float | None
    eta_seconds: float | None

    def describe(self) -> str:
        rate = f", {self.articles_per_second:.1f} articles/s" if self.articles_per_second else ""
        eta = f", about {self.eta_seconds:.0f} s left" if self.eta_seconds is not None else ""
        return (f"v{self.target_version}: {self.done}/{self.total} articles, "
                f"{self.chunks_done}/{self.chunks_total} chunks{rate}{eta}")


def summarize(run: RunRecord, reports: dict[int, ChunkReport], since_done: int, elapsed: float) -> RunProgress:
    """``since_done`` articles were done when this coordinator started watching ``elapsed``
    seconds ago: the rate is of this session's work, so a resume after a long pause does not
    report the pause as slowness."""
    finished = [r for r in reports.values() if r.error is None]
    done = sum(r.read for r in finished)
    rate = (done - since_done) / elapsed if elapsed > 0 and done > since_done else None
    left = max(run.articles - done, 0)
    return RunProgress(
        run_id=run.id, target_version=run.target.version, done=done, total=max(run.articles, done),
        chunks_done=len(finished), chunks_total=len(run.chunks),
        articles_per_second=round(rate, 2) if rate else None,
        eta_seconds=round(left / rate, 1) if rate else None,
    )


class ReindexStatus(BaseModel):
    """A recorded reindex as `status` shows it: its progress, and whether a coordinator holds
    the store's lock (else it stopped and waits for `reindex --resume`)."""

    store: str
    started_at: datetime
    progress: RunProgress
    coordinator: str | None


def reindex_status(run: RunRecord, reports: dict[int, ChunkReport], watch: Watch | None, coordinator: str | None,
                   now: datetime) -> ReindexStatus:
    """Articles/s over what was done since its coordinator began watching; none when nobody coordinates."""
    since = watch or Watch(at=run.started_at, done=0)
    elapsed = (now - since.at).total_seconds() if coordinator else 0.0
    return ReindexStatus(store=run.store, started_at=run.started_at, coordinator=coordinator,
                         progress=summarize(run, reports, since.done, elapsed))
