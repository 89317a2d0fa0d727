"""A Redis lock per store, so two reindexes of one store never run at once.

redis-py's ``Lock`` does the owning (SET NX PX with a token; extend and release only by
the token's owner). The token is a small JSON record of who took the lock and when, so
the one refused can be told who holds it. A heartbeat thread keeps extending the TTL
while the holder lives; when the holder's process dies the lock expires by itself.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import urlsplit

import redis
from pydantic import BaseModel, ValidationError
from redis.exceptions import LockError

from .errors import LockLostError, LockUnavailableError, ReindexBusyError
from .models import utc_now
from .settings import Settings, redact_url

log = logging.getLogger(__name__)

LOCK_TTL_SECONDS = 120.0
# Three heartbeats fit in one TTL: a slow Redis round trip or two cannot let it lapse.
HEARTBEAT_FRACTION = 0.25


class Holder(BaseModel):
    """Who holds a lock: stored as the lock's token."""

    who: str
    since: datetime | None = None
    task_id: str | None = None
    nonce: str

    def describe(self) -> str:
        task = f", task {self.task_id}" if self.task_id else ""
        since = f", since {self.since.strftime('%Y-%m-%d %H:%M:%S UTC')}" if self.since else ""
        return f"{self.who}{task}{since}"


def reindex_lock_name(settings: Settings) -> str:
    """One lock per physical store: the same file, or the same cluster and index prefix."""
    if settings.store == "sqlite":
        return f"newsworker:lock:reindex:sqlite:{settings.database_path.resolve()}"
    hosts = ",".join(_host(u) for u in settings.es.url.split(",") if u.strip())
    return f"newsworker:lock:reindex:elasticsearch:{hosts}/{settings.es.index_prefix}"


def _host(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def connect(url: str) -> redis.Redis:
    """A client that answers, or LockUnavailableError saying where and what to do."""
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        raise LockUnavailableError(
            f"Redis at {redact_url(url)} does not answer ({exc}); reindex takes its lock there and "
            "never runs unlocked: start Redis or point NEWSWORKER_REDIS_URL at one"
        ) from None
    return client


class StoreLock:
    """One named lock; ``acquire`` refuses with ReindexBusyError when someone else has it."""

    def __init__(self, client: redis.Redis, name: str, ttl: float = LOCK_TTL_SECONDS):
        self.client, self.name, self.ttl = client, name, ttl
        # thread_local=False: the heartbeat thread must see the token the caller acquired with.
        self._lock = client.lock(name, timeout=ttl, blocking=False, thread_local=False)
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self.lost: str | None = None

    def holder(self) -> Holder | None:
        """Who holds the lock now (None when free; ``who`` says unknown for a foreign token)."""
        try:
            raw = self.client.get(self.name)
        except redis.RedisError as exc:
            raise LockUnavailableError(f"cannot read lock {self.name}: {exc}") from None
        if raw is None:
            return None
        try:
            return Holder.model_validate_json(raw)
        except ValidationError:
            return Holder(who="an unknown holder (not a newsworker token)", nonce="")

    def acquire(self, task_id: str | None = None) -> Holder:
        me = Holder(who=f"{socket.gethostname()} pid {os.getpid()}", since=utc_now(), task_id=task_id,
                    nonce=uuid.uuid4().hex)
        try:
            taken = self._lock.acquire(token=me.model_dump_json())
        except redis.RedisError as exc:
            raise LockUnavailableError(f"cannot take lock {self.name}: {exc}") from None
        if not taken:
            raise self.busy_error()
        self._start_heartbeat()
        return me

    def busy_error(self) -> ReindexBusyError:
        holder = self.holder()
        who = holder.describe() if holder else "someone who has just released it"
        try:
            left = max(self.client.pttl(self.name), 0) / 1000
        except redis.RedisError:
            left = self.ttl
        return ReindexBusyError(
            f"a reindex of this store is already running (held by {who}; lock {self.name}). "
            f"Wait for it to finish; if its process died, the lock expires by itself within {left:.0f} s."
        )

    def verify(self) -> None:
        """Raise LockLostError unless the lock is still ours (called before anything irreversible)."""
        if self.lost is None:
            try:
                if self._lock.owned():
                    return
                self.lost = "it is no longer held by this process"
            except redis.RedisError as exc:
                self.lost = f"Redis does not answer: {exc}"
        raise LockLostError(
            f"the reindex lock {self.name} was lost ({self.lost}); stopped before swapping, "
            "the live store is unchanged; run the reindex again"
        )

    def release(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
            self._beat = None
        try:
            self._lock.release()
        except LockError:
            log.warning("reindex lock %s had already expired or been taken when released", self.name)
        except redis.RedisError as exc:
            log.warning("could not release reindex lock %s (%s); it expires within %.0f s", self.name, exc, self.ttl)

    def _start_heartbeat(self) -> None:
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, name=f"lock-heartbeat:{self.name}", daemon=True)
        self._beat.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.ttl * HEARTBEAT_FRACTION):
            try:
                self._lock.extend(self.ttl, replace_ttl=True)
            except LockError as exc:
                self.lost = f"it could not be extended: {exc}"
                log.error("reindex lock %s lost: %s", self.name, exc)
                return
            except redis.RedisError as exc:
                # A blip: the TTL still has three quarters to run; try again next beat.
                log.warning("could not extend reindex lock %s: %s", self.name, exc)


@contextmanager
def held(client: redis.Redis, name: str, task_id: str | None = None, ttl: float = LOCK_TTL_SECONDS) -> Iterator[StoreLock]:
    """Hold ``name`` for the block; always released at the end, also when the block fails."""
    lock = StoreLock(client, name, ttl)
    lock.acquire(task_id)
    try:
        yield lock
    finally:
        lock.release()
