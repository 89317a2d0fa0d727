"""Poison batches: a task whose process keeps dying is split, then its one bad document parked.

A pool process the kernel kills (out of memory, say) acknowledges nothing, so the broker
hands the batch out again (``reject_on_worker_lost``), and the same document kills the next
process: for ever, with the good documents of the batch never indexed. Each delivery of a
task is counted in Redis (``newsworker:deliveries:<task id>:<retry>``: a retry is a new
delivery Celery asked for, not a death) and the count cleared whenever the task ends in
Python, however it ends. A count past ``NEWSWORKER_MAX_DELIVERIES`` means the earlier runs
died: the batch is not run again but split in halves sent as new tasks, which split again
while they die, until the one document that kills is alone; it is parked as a dead letter
naming it, and everything else is indexed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis

log = logging.getLogger(__name__)

KEY = "newsworker:deliveries:{task_id}:{retry}"
TTL_SECONDS = 7 * 24 * 3600


def halves(items: list) -> tuple[list, list]:
    middle = (len(items) + 1) // 2
    return items[:middle], items[middle:]


@contextmanager
def counted(url: str, task_id: str, retry: int) -> Iterator[int]:
    """The number of this delivery (1 the first time) while the task runs; 0 when Redis does not
    answer (counting is a safeguard: it never stops a batch)."""
    key = KEY.format(task_id=task_id, retry=retry)
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
    try:
        try:
            with client.pipeline() as pipe:
                number, _ = pipe.incr(key).expire(key, TTL_SECONDS).execute()
        except redis.RedisError as exc:
            log.warning("task=%s deliveries not counted (Redis: %s): a batch that kills its worker is not split", task_id, exc)
            number = 0
        try:
            yield int(number)
        finally:
            # Reached whenever the task ends in Python (done, failed, retrying); a killed process never gets here.
            try:
                client.delete(key)
            except redis.RedisError as exc:
                log.warning("task=%s delivery count not cleared (Redis: %s)", task_id, exc)
    finally:
        client.close()
