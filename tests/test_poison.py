"""A document whose worker process keeps dying (the kernel killing it for memory) is found by
bisection and parked; the rest of its batch is indexed. Real prefork workers, real Redis; the
test plays the kernel: it SIGKILLs whichever pool process runs a task naming the poison."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter

import pytest
from click.testing import CliRunner

from tests.celeryproc import WorkerProcess
from tests.test_deadletters import write_articles
from worker.deliveries import halves

pytestmark = pytest.mark.integration


def test_halves_cover_the_batch_in_order():
    assert halves([1, 2, 3, 4, 5]) == ([1, 2, 3], [4, 5])
    assert halves([1]) == ([1], [])


class Kernel(threading.Thread):
    """SIGKILL the pool process of any active task whose arguments mention ``poison``."""

    def __init__(self, app, poison: str):
        super().__init__(daemon=True)
        self.app, self.poison, self.kills = app, poison, set()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for tasks in (self.app.control.inspect(timeout=0.2).active() or {}).values():
                for task in tasks:
                    named = self.poison in json.dumps([task.get("args"), task.get("kwargs")])
                    if named and task.get("worker_pid") and (task["id"], task["worker_pid"]) not in self.kills:
                        try:
                            os.kill(task["worker_pid"], signal.SIGKILL)
                            self.kills.add((task["id"], task["worker_pid"]))
                        except ProcessLookupError:
                            pass
            time.sleep(0.05)


def _deliveries_left(env) -> list:
    import redis

    with redis.Redis.from_url(env["NEWSWORKER_BROKER_URL"]) as client:
        return client.keys("newsworker:deliveries:*")


def test_a_batch_that_kills_its_worker_is_bisected_the_poison_parked_and_the_rest_indexed(broker_env, tmp_path):
    from worker.celery_app import create_app
    from worker.cli.main import cli
    from worker.deadletters import DeadLetterBox
    from worker.settings import Settings
    from worker.store import SqliteStore

    files = write_articles(tmp_path / "inbox", 4, "Poison")
    poison = files[2].with_name("poison.txt")
    # Big, as what the kernel kills for memory is: parsing it takes seconds, time to be caught running.
    poison.write_text(files[2].read_text(encoding="utf-8") * 200, encoding="utf-8")
    files[2].unlink()
    settings = Settings()
    app = create_app(settings)
    worker = WorkerProcess(broker_env, tmp_path, tmp_path / "worker.log", pool="prefork").start()
    kernel = Kernel(app, "poison.txt")
    kernel.start()
    try:
        result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "inbox"), "--wait", "--timeout", "240", "--json"],
                                    catch_exceptions=False)
    finally:
        kernel.done.set()
        kernel.join(timeout=5)
        log = worker.tail(100000)
        worker.stop()
    assert result.exit_code == 0, result.output + log
    report = json.loads(result.stdout)
    # 4 files -> 2 -> 1: each task naming the poison dies (at least NEWSWORKER_MAX_DELIVERIES
    # times), then splits; the lone poison is parked.
    killed = Counter(task_id for task_id, _ in kernel.kills)
    assert len(killed) == 3 and min(killed.values()) >= 2, (killed, log)
    root, half, quarter = sorted(killed, key=len)
    assert half.startswith(f"{root}:split") and quarter.startswith(f"{half}:split")
    assert sorted(o["origin"] for o in report["indexed"]) == sorted(str(f) for f in files if f.exists())
    [failure] = report["failed"]
    assert failure["origin"] == str(poison) and "lost 2 times" in failure["reason"] and "dead letter" in failure["reason"]
    with DeadLetterBox.open(settings) as box:
        [letter] = box.all()
    assert letter.args[0] == [str(poison)] and str(poison) in letter.reason and letter.attempts == 3
    with SqliteStore(tmp_path / "var" / "newsworker.db") as store:
        stats = store.stats()
        assert stats.articles == 3 and [f.origin for f in stats.recent_failures] == [str(poison)]
    # Each count ends with its task's last delivery: none is left behind for these tasks.
    assert [k for k in _deliveries_left(broker_env) if any(t.encode() in k for t in killed)] == []
