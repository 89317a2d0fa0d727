"""A reindex coordinator that dies before it has sent every chunk: `python dying_coordinator.py N`.

It does what the `newsworker.reindex` task does (the store's lock, the run recorded in Redis,
each chunk sent to NEWSWORKER_REINDEX_QUEUE as a reindex_chunk task) and SIGKILLs itself when
it is about to send chunk number N, so the run is left with chunks that were never sent:
`reindex --resume` must send them. A worker cannot be killed at that moment from outside (the
sends take milliseconds); this process dies there by its own hand, every time.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker import locks  # noqa: E402
from worker import reindex as reindexing  # noqa: E402
from worker.celery_app import create_app  # noqa: E402
from worker.reindex.runs import Runs, run_key  # noqa: E402
from worker.settings import load_settings  # noqa: E402
from worker.tasks import _send_chunk  # noqa: E402

TASK_ID = "dying-coordinator"


def main(dies_at: int) -> None:
    settings = load_settings()
    app = create_app(settings)
    runtime = app.newsworker_runtime
    client = locks.connect(settings.lock_url)
    name = locks.reindex_lock_name(settings)
    store = runtime.store
    sent: list[int] = []

    def send_until_death(record, number: int) -> None:
        if len(sent) == dies_at:
            print(f"sent chunks {sent} of {len(record.chunks)}; dying", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        _send_chunk(app, record, number)
        sent.append(number)

    with locks.held(client, name, task_id=TASK_ID, ttl=settings.reindex_lock_seconds) as lock:
        reindexing.run(store, None, before_swap=lock.verify, batch_size=settings.reindex_chunk_size,
                       runs=Runs(client, run_key(name)), dispatch=send_until_death, task_id=TASK_ID)
    raise SystemExit("the run finished: it had fewer chunks than the number to die at")


if __name__ == "__main__":
    main(int(sys.argv[1]))
