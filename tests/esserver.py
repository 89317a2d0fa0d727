"""Elasticsearch for tests: osmem-server (PyPI, in-memory, OpenSearch-compatible) on a free port,
or the real cluster named by NEWSWORKER_TEST_ES_URL (then the same tests run against it).

The official client always sends ``application/vnd.elasticsearch+json; compatible-with=N``,
which osmem refuses; ``CompatNode`` (tests only) sends plain JSON media types instead.
Every test gets its own index prefix, and everything under it is deleted afterwards.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from elastic_transport import Urllib3HttpNode
from elasticsearch import Elasticsearch, NotFoundError

from worker.settings import DEFAULT_MAPPINGS_DIR, ElasticsearchSettings

TEST_URL = os.environ.get("NEWSWORKER_TEST_ES_URL", "")
TEST_API_KEY = os.environ.get("NEWSWORKER_TEST_ES_API_KEY", "")
STARTUP_SECONDS = 30.0

_PLAIN = {
    "application/vnd.elasticsearch+x-ndjson": "application/x-ndjson",
    "application/vnd.elasticsearch+json": "application/json",
}


def plain_media_type(value: str) -> str:
    """``application/vnd.elasticsearch+json; compatible-with=9`` -> ``application/json`` (and the ndjson twin)."""
    for versioned, plain in _PLAIN.items():
        if value.startswith(versioned):
            return plain
    return value


class CompatNode(Urllib3HttpNode):
    """The client's HTTP node with plain JSON media types, for servers that refuse the versioned ones."""

    def perform_request(self, method, target, body=None, headers=None, **kwargs):
        if headers:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                if name in headers:
                    headers[name] = plain_media_type(headers[name])
        return super().perform_request(method, target, body=body, headers=headers, **kwargs)


@dataclass
class EsCluster:
    url: str
    osmem: bool
    session: str
    _next: int = 0

    @property
    def node_class(self) -> type[Urllib3HttpNode] | None:
        return CompatNode if self.osmem else None

    def settings(self, prefix: str, **overrides) -> ElasticsearchSettings:
        return ElasticsearchSettings(url=self.url, api_key=TEST_API_KEY, index_prefix=prefix, **overrides)

    def client(self) -> Elasticsearch:
        from worker.store.es_client import make_client

        return make_client(self.settings(self.session), self.node_class)

    def new_prefix(self) -> str:
        self._next += 1
        return f"{self.session}-{self._next}"

    def store(self, prefix: str, mappings_dir: Path = DEFAULT_MAPPINGS_DIR, **bulk):
        """An ElasticsearchStore under ``prefix``; ``bulk`` overrides its BulkPolicy (e.g. backoff=0.01)."""
        from worker.store.elasticsearch import ElasticsearchStore

        store = ElasticsearchStore.from_settings(self.settings(prefix), mappings_dir, self.node_class)
        if bulk:
            store.bulk = dataclasses.replace(store.bulk, **bulk)
        return store

    def drop(self, prefix: str) -> None:
        """Delete every index and template named ``{prefix}-*``."""
        with self.client() as client:
            indices = sorted(client.indices.get_alias(index=f"{prefix}-*", expand_wildcards="all").body)
            for i in range(0, len(indices), 50):
                client.indices.delete(index=",".join(indices[i : i + 50]))
            for name in _template_names(client.indices.get_index_template, "index_templates", prefix):
                client.indices.delete_index_template(name=name)
            for name in _template_names(client.cluster.get_component_template, "component_templates", prefix):
                client.cluster.delete_component_template(name=name)


def _template_names(get, key: str, prefix: str) -> list[str]:
    try:
        found = get(name=f"{prefix}-*").body.get(key, [])
    except NotFoundError:
        return []
    return [t["name"] for t in found if t["name"].startswith(f"{prefix}-")]


class OsmemProcess:
    """The osmem-server binary of the PyPI package, on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        from osmem_server import resolve_binary

        self.process = subprocess.Popen(
            [resolve_binary(), "--addr", "127.0.0.1:0", "--no-ja", "--parent-pid", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.url = self._announced_url()
        self._wait_ready()

    def _announced_url(self) -> str:
        # The server prints one JSON line with its URL once it listens.
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(STARTUP_SECONDS)
        try:
            return json.loads(line[0])["url"]
        except (IndexError, ValueError, KeyError):
            self.stop()
            raise RuntimeError(f"osmem-server did not announce its URL within {STARTUP_SECONDS:.0f} s") from None

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"osmem-server at {self.url} did not answer within {STARTUP_SECONDS:.0f} s") from None
            time.sleep(0.05)

    def stop(self) -> None:
        """Closing stdin asks the server to exit; it is killed if it has not after a grace period."""
        if self.process.poll() is not None:
            return
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def session_name() -> str:
    return f"nwtest-{uuid.uuid4().hex[:8]}"
