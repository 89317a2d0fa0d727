"""Processes the delivery and reindex tests start, stop and kill: Celery workers, a private Redis,
a writer ingesting the whole time."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import redis

STOP_SECONDS = 30.0


class WorkerProcess:
    """`celery -A worker.celery_app worker` on one test's queue, its output in ``log``."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path, pool: str = "solo", queues: list[str] | None = None,
                 concurrency: int = 1):
        self.env, self.cwd, self.log, self.pool = env, cwd, log, pool
        self.queues, self.concurrency = queues, concurrency
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        exe = Path(sys.executable).with_name("celery")
        queue = self.env["NEWSWORKER_QUEUE"]
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [str(exe), "-A", "worker.celery_app", "worker", "--pool", self.pool, "--concurrency", str(self.concurrency),
                 "--loglevel", "INFO", "-Q", ",".join(self.queues or [queue]), "-n", f"{queue}-{time.monotonic_ns()}@%h",
                 "--without-gossip", "--without-mingle"],
                env={**os.environ, **self.env}, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, nothing handed back."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=STOP_SECONDS)

    def stop(self, signalled: bool = False) -> None:
        """SIGTERM (unless ``signalled`` already), then wait for the warm shutdown."""
        if self.process is None or self.process.poll() is not None:
            return
        if not signalled:
            self.process.send_signal(signal.SIGTERM)
        wait_or_kill(self.process)

    def signal_stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def wait_or_kill(process: subprocess.Popen) -> None:
    """Wait for a process asked to stop; SIGKILL it if it has not within STOP_SECONDS."""
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_SECONDS)


def stop_all(workers: list[WorkerProcess]) -> None:
    """Stop them side by side: every warm shutdown at once, not one after another."""
    for worker in workers:
        worker.signal_stop()
    for worker in workers:
        worker.stop(signalled=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own (never the shared one), persisting every write before
    it answers (append-only file, fsync always), so a crash loses nothing it acknowledged;
    ``persist=False``: in memory only, for tests that never restart it."""

    def __init__(self, directory: Path, port: int | None = None, persist: bool = True):
        self.directory, self.persist = directory, persist
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
             *(["--appendonly", "yes", "--appendfsync", "always"] if self.persist else ["--appendonly", "no"]),
             "--save", ""],
            stdout=(self.directory / "redis.log").open("a"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with redis.Redis.from_url(self.url, socket_connect_timeout=1) as client:
                    if client.ping():
                        return self
            except redis.RedisError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}: "
                                       f"{(self.directory / 'redis.log').read_text()[-2000:]}") from None
                time.sleep(0.05)

    def crash(self) -> None:
        """SIGKILL: what an out-of-memory kill or a power cut does; no save on the way out."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=STOP_SECONDS)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=STOP_SECONDS)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5)


def wait_for(condition, timeout: float, what: str, every: float = 0.1, detail=lambda: ""):
    """Poll ``condition`` until it returns something true (returned) or ``timeout`` passes (AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}\n{detail()}")
        time.sleep(every)


class IngestLoop:
    """A writer the whole time: one process (tests/ingest_writer.py) running `newsworker ingest
    DIR --json` in process (no broker) on a new batch of files, one batch after another, a
    pause between them, until stopped. Each file is one article with a title of its own;
    ``batches`` holds (titles, ids, finished monotonic)."""

    def __init__(self, env: dict[str, str], cwd: Path, folder: Path, per_batch: int = 4, pause: float = 1.0):
        self.env = {k: v for k, v in env.items() if k != "NEWSWORKER_BROKER_URL"}
        self.cwd, self.folder, self.per_batch, self.pause = cwd, folder, per_batch, pause
        self.batches: list[tuple[list[str], list[str], float]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ingest-loop", daemon=True)
        self.process: subprocess.Popen | None = None

    def start(self) -> "IngestLoop":
        env = {k: v for k, v in os.environ.items() if k != "NEWSWORKER_BROKER_URL"} | self.env
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("ingest_writer.py"))], env=env,
                                        cwd=self.cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        number = 0
        while not self._stop.is_set():
            batch = self.folder / f"batch-{len(self.batches) + len(self.errors):03d}"
            batch.mkdir(parents=True)
            titles = []
            for _ in range(self.per_batch):
                number += 1
                title = f"Convoy {number} leaves the base"
                (batch / f"{number:05d}.txt").write_text(
                    f"{title}\n\nSome {100 + number} US troops left the base in Syria on Monday, convoy {number}.\n")
                titles.append(title)
            self.process.stdin.write(f"{batch}\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
            if not answer:
                self.errors.append(f"the writer process exited ({self.process.poll()})")
                return
            done = json.loads(answer)
            if done["code"] != 0:
                self.errors.append(done["stderr"] or done["stdout"])
            else:
                ids = [o["id"] for o in json.loads(done["stdout"])["indexed"]]
                self.batches.append((titles, ids, time.monotonic()))
            self._stop.wait(self.pause)

    def batches_after(self, moment: float) -> int:
        return sum(1 for *_, finished in self.batches if finished > moment)

    def stop(self) -> None:
        """Let the batch under way finish, then stop."""
        self._stop.set()
        self._thread.join(STOP_SECONDS * 4)
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()
            wait_or_kill(self.process)
