"""A real HTTP server on 127.0.0.1 for fetching tests: routes are plain functions."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    method: str = "GET"
    body: bytes = b""


Route = Callable[[Seen], Reply]


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                self._answer("GET", b"")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _answer(self, method: str, body: bytes) -> None:
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, method, body)
                server.requests.append(seen)
                route = server.routes.get(self.path.split("?")[0])
                reply = route(seen) if route else Reply(404, b"not found")
                body = gzip.compress(reply.body) if reply.gzip else reply.body
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.gzip:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                pass  # clients that hang up early (size limits, redirects) are the point of some tests

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, route: Route | Reply) -> str:
        self.routes[path] = route if callable(route) else (lambda _seen, r=route: r)
        return self.url(path)

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path.split("?")[0] == path]

    def __enter__(self) -> "LocalServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def conditional(body: bytes, etag: str, content_type: str = "application/rss+xml") -> Route:
    """A route honouring If-None-Match: 304 when the client already has ``etag``."""

    def route(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, body, {"ETag": etag, "Content-Type": content_type})

    return route
