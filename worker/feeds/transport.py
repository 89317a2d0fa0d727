"""The network under the fetcher: connect only to checked addresses, never past the deadline.

httpx resolves a host name itself when it connects; checking the name beforehand would
leave a window in which the name answers differently (DNS rebinding). So the guard runs
inside the connection pool's network backend: the host is resolved once, every address
checked, and the socket opened to those very addresses. The pool is keyed by the URL's
origin, so TLS SNI, certificate checks and the Host header keep the name.

Every socket operation is also bounded by the whole-request deadline the fetcher sets
(``deadline``): per-operation timeouts alone let a server that sends one byte a second
(slow loris, in the headers as well as the body) hold a worker for ever.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

from .guard import checked_addresses

_DEADLINE: ContextVar[float | None] = ContextVar("fetch_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Bound every connect, read and write in this block to end ``seconds`` from now."""
    until = time.monotonic() + seconds
    token = _DEADLINE.set(until)
    try:
        yield until
    finally:
        _DEADLINE.reset(token)


def deadline_passed() -> bool:
    """True once the deadline of the enclosing ``deadline`` block is (all but) reached."""
    until = _DEADLINE.get()
    # A socket timeout set to the time remaining may fire a hair early.
    return until is not None and time.monotonic() >= until - 0.05


def _bounded(timeout: float | None, error: type[httpcore.TimeoutException]) -> float | None:
    until = _DEADLINE.get()
    if until is None:
        return timeout
    remaining = until - time.monotonic()
    if remaining <= 0:
        raise error("the whole-request deadline has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """TCP connections only to addresses the private-address guard passed, in one resolution."""

    def __init__(self, allow_private: Iterable[str] = ()):
        self.allow_private = tuple(allow_private)
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in checked_addresses(host, port, self.allow_private):
            try:
                stream = self._inner.connect_tcp(
                    str(address), port, _bounded(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # the next address may answer, as socket.create_connection would try
                continue
            return _DeadlineStream(stream)
        assert failure is not None  # checked_addresses returns at least one address
        raise failure

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def guarded_transport(allow_private: Iterable[str], ssl_context: ssl.SSLContext, limits: httpx.Limits) -> httpx.HTTPTransport:
    """httpx's own transport (its request/response and error mapping) over GuardedBackend."""
    transport = httpx.HTTPTransport(verify=ssl_context, trust_env=False, limits=limits)
    # httpx does not yet take a network backend (encode/httpx#3749), so its pool is rebuilt
    # with the same options and ours; with no proxy, the pool is a plain ConnectionPool.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(allow_private),
    )
    return transport
