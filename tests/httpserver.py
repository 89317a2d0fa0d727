"""A real HTTP server on 127.0.0.1 for fetching tests: routes are plain functions."""

from __future__ import annotations

import gzip
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False
    # A streamed reply: chunks written one by one (chunked encoding unless ``headers`` give a
    # Content-Length), ``pause`` seconds before each; it stops when the client hangs up.
    chunks: Callable[[], Iterable[bytes]] | None = None
    pause: float = 0.0
    # A slow-loris reply: the status line, then one header line every ``header_pause``
    # seconds, never finishing the headers (until the client hangs up, or a minute).
    header_pause: float = 0.0


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    method: str = "GET"
    body: bytes = b""


Route = Callable[[Seen], Reply]


class LocalServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        # Body bytes written per path: how much of a huge reply went out before the client hung up.
        self.sent: Counter[str] = Counter()
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
                path = self.path.split("?")[0]
                route = server.routes.get(path)
                reply = route(seen) if route else Reply(404, b"not found")
                if reply.header_pause:
                    return self._slow_headers(reply.header_pause)
                if reply.chunks is not None:
                    return self._stream(path, reply)
                body = gzip.compress(reply.body) if reply.gzip else reply.body
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.gzip:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                server.sent[path] += len(body)

            def _stream(self, path: str, reply: Reply) -> None:
                chunked = "content-length" not in {k.lower() for k in reply.headers}
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in reply.chunks():
                        time.sleep(reply.pause)
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                        self.wfile.flush()
                        server.sent[path] += len(chunk)
                    if chunked:
                        self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    self.close_connection = True  # the client hung up: the point of these replies

            def _slow_headers(self, pause: float) -> None:
                self.close_connection = True
                try:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    for n in range(int(60 / pause)):
                        self.wfile.flush()
                        time.sleep(pause)
                        self.wfile.write(b"X-Slow-%d: 1\r\n" % n)
                except OSError:
                    pass

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                pass  # clients that hang up early (size limits, redirects) are the point of some tests

        self.httpd = Server((host, port), Handler)
        self.scheme = "https" if tls else "http"
        if tls:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.httpd.server_address[0]}:{self.port}"

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
