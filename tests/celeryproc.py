"""Processes the delivery tests start, stop and kill: Celery workers and a private Redis."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
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

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own (never the shared one), persisting every write before
    it answers (append-only file, fsync always), so a crash loses nothing it acknowledged."""

    def __init__(self, directory: Path, port: int | None = None):
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
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
