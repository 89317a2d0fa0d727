"""A real HTTP proxy in front of the test cluster, on 127.0.0.1.

It passes every request through, with plain JSON media types (so an unmodified client,
e.g. the CLI's, can talk to osmem), and it can play an overloaded cluster: documents
named in ``busy`` are answered with a per-item 429 (es_rejected_execution_exception)
in their bulk response that many times before they are let through.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from tests.esserver import plain_media_type

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
REJECTED = {"type": "es_rejected_execution_exception", "reason": "rejected execution of coordinating operation (test proxy)"}


class EsProxy:
    def __init__(self, upstream: str, port: int = 0) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port or 9200)
        self.connection = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        # A real cluster's URL may carry its user; the client talking to the proxy does not know it.
        self.auth = ""
        if parts.username:
            user = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self.auth = "Basic " + base64.b64encode(user.encode()).decode()
        self.busy: dict[str, int] = {}
        self.bulk_requests = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The status line, headers and body go out in separate writes: with Nagle on, each
            # reply waits out the client's delayed ACK (~40 ms), the whole cost of a request to osmem.
            disable_nagle_algorithm = True

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: plain_media_type(v) if k.lower() in ("accept", "content-type") else v
                           for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                if "/_bulk" in self.path and body:
                    status, reply_headers, reply = proxy._bulk(self.command, self.path, headers, body)
                else:
                    status, reply_headers, reply = proxy._forward(self.command, self.path, headers, body)
                self.send_response(status)
                for key, value in reply_headers:
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

            def log_message(self, *args) -> None:
                pass

        # A fixed port lets a test bring "the cluster" back where a client was refused before.
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes):
        conn = self.connection(*self.upstream, timeout=60)
        try:
            if self.auth and not any(k.lower() == "authorization" for k in headers):
                headers = {**headers, "Authorization": self.auth}
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()

    def _bulk(self, method: str, path: str, headers: dict[str, str], body: bytes):
        """Answer busy documents with 429 items; send the others on; merge the items in order."""
        with self.lock:
            self.bulk_requests += 1
        items: list[dict | None] = []
        passed: list[str] = []
        for action, source in _actions(body):
            [(op, meta)] = json.loads(action).items()
            with self.lock:
                rejected = self.busy.get(meta.get("_id"), 0) > 0
                if rejected:
                    self.busy[meta["_id"]] -= 1
            if rejected:
                items.append({op: {"_index": meta.get("_index"), "_id": meta.get("_id"), "status": 429, "error": REJECTED}})
            else:
                items.append(None)
                passed += [action, *source]
        forwarded: list[dict] = []
        if passed:
            status, reply_headers, reply = self._forward(method, path, headers, ("\n".join(passed) + "\n").encode())
            if status != 200:
                return status, reply_headers, reply
            forwarded = json.loads(reply)["items"]
        merged = [item if item is not None else forwarded.pop(0) for item in items]
        errors = any("error" in next(iter(i.values())) for i in merged)
        reply = json.dumps({"took": 1, "errors": errors, "items": merged}).encode()
        return 200, [("Content-Type", "application/json"), ("X-Elastic-Product", "Elasticsearch")], reply

    def __enter__(self) -> "EsProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _actions(body: bytes) -> list[tuple[str, list[str]]]:
    """A bulk body as (action line, its source line if any): index, create and update carry one, delete none."""
    lines = [line for line in body.decode().split("\n") if line.strip()]
    out: list[tuple[str, list[str]]] = []
    while lines:
        action = lines.pop(0)
        out.append((action, [] if "delete" in json.loads(action) else [lines.pop(0)]))
    return out
