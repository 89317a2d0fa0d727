"""A fanned-out reindex as recorded in Redis: the run (source and target generation, its
chunks) and one report per finished chunk, so progress is their sum and a coordinator that
died can be resumed from the chunks already done.

Keys are named after the store like its lock: ``newsworker:run:reindex:<kind>:<location>``
holds the run, ``...:<run id>:chunks`` a hash chunk number -> ChunkReport.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import redis
from pydantic import BaseModel

from ..models import IndexOutcome
from ..store.base import Chunk, IndexVersion


class ReindexFailure(BaseModel):
    """An article left out of the new generation, and why; it stays in the previous one."""

    id: str
    origin: str
    stage: Literal["extract"]
    reason: str


class RunRecord(BaseModel):
    id: str
    store: str
    source: IndexVersion
    target: IndexVersion
    chunks: list[Chunk]
    extractor_version: str
    started_at: datetime
    # The coordinator task that began it: a redelivery of that task resumes it.
    task_id: str | None = None

    @property
    def articles(self) -> int:
        return sum(c.articles for c in self.chunks)


class ChunkReport(BaseModel):
    number: int
    read: int = 0
    # Created in the target; already there (a newer write, or an earlier run of the chunk).
    loaded: int = 0
    kept: int = 0
    failed: list[ReindexFailure] = []
    refused: list[IndexOutcome] = []
    seconds: float = 0.0
    # Set when the chunk's task gave up (after its retries): what the coordinator stops with.
    error: str | None = None


# How long a finished coordinator's report is kept for a redelivered copy of its task.
FINISHED_SECONDS = 7 * 24 * 3600


class Watch(BaseModel):
    """When the coordinator now driving the run began to watch it, and how many articles were
    done then: the rate anyone reading the run (``status``) computes is of this session's work."""

    at: datetime
    done: int


def run_key(lock_name: str) -> str:
    return lock_name.replace(":lock:", ":run:", 1)


class Runs:
    """The one run of a store (at most one: the lock keeps a second from starting)."""

    def __init__(self, client: redis.Redis, key: str):
        self.client, self.key = client, key

    def _chunks_key(self, run_id: str) -> str:
        return f"{self.key}:{run_id}:chunks"

    def save(self, run: RunRecord) -> None:
        self.client.set(self.key, run.model_dump_json())

    def load(self) -> RunRecord | None:
        raw = self.client.get(self.key)
        return RunRecord.model_validate_json(raw) if raw else None

    def record(self, run_id: str, report: ChunkReport) -> None:
        self.client.hset(self._chunks_key(run_id), str(report.number), report.model_dump_json())

    def forget_errors(self, run_id: str) -> None:
        """Before a resume: chunks that gave up are run again."""
        for number, report in self.reports(run_id).items():
            if report.error:
                self.client.hdel(self._chunks_key(run_id), str(number))

    def reports(self, run_id: str) -> dict[int, ChunkReport]:
        raw = self.client.hgetall(self._chunks_key(run_id))
        return {int(k): ChunkReport.model_validate_json(v) for k, v in raw.items()}

    def watch(self, run_id: str, watch: Watch) -> None:
        self.client.set(f"{self.key}:{run_id}:watch", watch.model_dump_json())

    def watched(self, run_id: str) -> Watch | None:
        raw = self.client.get(f"{self.key}:{run_id}:watch")
        return Watch.model_validate_json(raw) if raw else None

    def clear(self, run_id: str) -> None:
        self.client.delete(self.key, self._chunks_key(run_id), f"{self.key}:{run_id}:watch")

    def finish(self, task_id: str, report_json: str) -> None:
        """The coordinator task ``task_id`` ended with this report: a copy of its message that
        the broker hands out again (visibility timeout) returns it instead of reindexing again."""
        self.client.set(f"{self.key}:finished:{task_id}", report_json, ex=FINISHED_SECONDS)

    def finished(self, task_id: str) -> str | None:
        raw = self.client.get(f"{self.key}:finished:{task_id}")
        return raw.decode() if isinstance(raw, bytes) else raw


class MemoryRuns(Runs):
    """The same record kept in this process only (a run nobody can resume: tests, benchmarks)."""

    def __init__(self) -> None:
        self.run: RunRecord | None = None
        self.chunks: dict[str, dict[int, ChunkReport]] = {}
        self.watching: Watch | None = None

    def save(self, run: RunRecord) -> None:
        self.run = run

    def load(self) -> RunRecord | None:
        return self.run

    def record(self, run_id: str, report: ChunkReport) -> None:
        self.chunks.setdefault(run_id, {})[report.number] = report

    def forget_errors(self, run_id: str) -> None:
        self.chunks[run_id] = {n: r for n, r in self.chunks.get(run_id, {}).items() if not r.error}

    def reports(self, run_id: str) -> dict[int, ChunkReport]:
        return dict(self.chunks.get(run_id, {}))

    def watch(self, run_id: str, watch: Watch) -> None:
        self.watching = watch

    def watched(self, run_id: str) -> Watch | None:
        return self.watching

    def clear(self, run_id: str) -> None:
        self.run = None
        self.chunks.pop(run_id, None)

    def finish(self, task_id: str, report_json: str) -> None:
        return None

    def finished(self, task_id: str) -> str | None:
        return None
