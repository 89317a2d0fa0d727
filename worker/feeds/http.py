"""The one network seam: GET a URL politely, within limits, following redirects by hand.

Conditional GET (ETag / Last-Modified), gzip, a cap on the decoded size (gzip bombs
included), connect/read timeouts and a whole-request deadline, at most N redirects, every
connection checked by the private-address guard (transport.py), TLS always verified, and
file:// URLs for local feeds.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import certifi
import httpx
from pydantic import BaseModel

from ..errors import InputError
from ..settings import FetchSettings
from ..sources.local import inside, read_regular
from .decoding import BoundedDecoder, DecodingError, LimitExceeded
from .errors import FetchError, GuardError
from .guard import check_scheme
from .transport import deadline, deadline_passed, guarded_transport

FEED_ACCEPT = (
    "application/feed+json, application/atom+xml, application/rss+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
PERMANENT = {301, 308}
REDIRECTS = {301, 302, 303, 307, 308}


class FetchResult(BaseModel):
    url: str
    final_url: str
    status: int
    content: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None
    # Where a chain of only permanent redirects ended: the URL to store from now on.
    moved_to: str | None = None
    content_location: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def base(self) -> str:
        """What the body's relative links are relative to: its Content-Location (when http or
        https), else the URL it came from."""
        if self.content_location:
            located = urljoin(self.final_url, self.content_location.strip())
            if urlsplit(located).scheme in ("http", "https"):
                return located
        return self.final_url


class Fetcher:
    def __init__(self, settings: FetchSettings, file_roots: Sequence[Path] = ()):
        self.settings = settings
        # The folders file: feeds may be read from (NEWSWORKER_INBOX_DIRS); none: no file: feed.
        self.file_roots = list(file_roots)
        # Always ours: the private-address guard and the deadline live in its transport.
        self.client = make_client(settings)

    def close(self) -> None:
        self.client.close()

    def get(
        self, url: str, etag: str | None = None, last_modified: str | None = None, accept: str = FEED_ACCEPT,
        *, allow_file: bool = False, before_hop: Callable[[str], None] | None = None,
    ) -> FetchResult:
        """``allow_file``: only for a URL the operator typed (a registered feed); a URL learned
        from the network (a discovered feed, an item link, a redirect) is never read from disk.
        ``before_hop``: called with every URL of the redirect chain before it is requested
        (robots.txt for pages); it raises to stop the fetch."""
        if urlsplit(url).scheme == "file":
            if not allow_file:
                raise FetchError(url, "a file: URL found on the network is never read (only http and https)")
            return self._file(url, last_modified)
        headers = {"Accept": accept}
        if validator(etag):
            headers["If-None-Match"] = etag
        if validator(last_modified):
            headers["If-Modified-Since"] = last_modified
        # One deadline over every hop, connection, header and body byte (transport.py).
        with deadline(self.settings.total_timeout):
            current, permanent = url, True
            for _hop in range(self.settings.max_redirects + 1):
                check_scheme(current)  # addresses are checked as each connection is opened
                if before_hop is not None:
                    before_hop(current)
                response = self._send(current, headers)
                if response.status_code in REDIRECTS and "location" in response.headers:
                    _drain(response)
                    permanent = permanent and response.status_code in PERMANENT
                    current = urljoin(current, response.headers["location"])
                    continue
                result = self._result(url, current, response)
                if permanent and current != url:
                    result.moved_to = current
                return result
        raise FetchError(url, f"more than {self.settings.max_redirects} redirects (last to {current})")

    def _send(self, url: str, headers: dict[str, str]) -> httpx.Response:
        try:
            request = self.client.build_request("GET", url, headers=headers)
            return self.client.send(request, stream=True, follow_redirects=False)
        except GuardError as exc:
            raise FetchError(url, exc.reason, transient=exc.transient) from None
        except httpx.TimeoutException as exc:
            raise FetchError(url, self._timeout_reason(exc), transient=True) from None
        except httpx.TransportError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                raise FetchError(url, f"TLS certificate not trusted: {_ssl_detail(exc)} "
                                 "(verification is always on; NEWSWORKER_FETCH__CA_CERTS adds a private CA)") from None
            raise FetchError(url, f"network error: {type(exc).__name__}: {exc}", transient=True) from None
        except httpx.InvalidURL as exc:
            raise FetchError(url, f"invalid URL: {exc}") from None

    def _timeout_reason(self, exc: httpx.TimeoutException) -> str:
        if deadline_passed():
            return f"took longer than {self.settings.total_timeout:g}s in all (NEWSWORKER_FETCH__TOTAL_TIMEOUT)"
        return f"timed out ({type(exc).__name__})"

    def _result(self, url: str, final: str, response: httpx.Response) -> FetchResult:
        try:
            if response.status_code == 200:
                content = self._body(final, response)
            else:
                content = b""
                _drain(response)
        finally:
            response.close()
        return FetchResult(
            url=url,
            final_url=final,
            status=response.status_code,
            content=content,
            content_type=response.headers.get("content-type", ""),
            etag=validator(response.headers.get("etag")),
            last_modified=validator(response.headers.get("last-modified")),
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            content_location=response.headers.get("content-location") or None,
        )

    def _body(self, url: str, response: httpx.Response) -> bytes:
        limit = self.settings.max_bytes
        encoding = response.headers.get("content-encoding", "")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit and encoding.strip().lower() in ("", "identity"):
            raise FetchError(url, f"response of {int(declared):,} bytes is over the {limit:,}-byte limit (NEWSWORKER_FETCH__MAX_BYTES)", status=200)
        chunks: list[bytes] = []
        try:
            # Raw bytes, inflated here within the cap: the cap holds for the decoded size,
            # and a gzip bomb never gets more than the cap's worth into memory.
            decoder = BoundedDecoder(encoding, limit)
            for chunk in response.iter_raw():
                chunks.append(decoder.feed(chunk))
            chunks.append(decoder.flush())
        except LimitExceeded:
            raise FetchError(url, f"response cut off at the {limit:,}-byte limit (NEWSWORKER_FETCH__MAX_BYTES)", status=200) from None
        except DecodingError as exc:
            raise FetchError(url, f"response body could not be decoded: {exc}", status=200) from None
        except httpx.TimeoutException as exc:
            raise FetchError(url, f"{self._timeout_reason(exc)} while reading the response", transient=True) from None
        except httpx.TransportError as exc:
            raise FetchError(url, f"network error while reading: {type(exc).__name__}", transient=True) from None
        return b"".join(chunks)

    def _file(self, url: str, last_modified: str | None) -> FetchResult:
        if not self.settings.allow_file_urls:
            raise FetchError(url, "file:// URLs are disabled (NEWSWORKER_FETCH__ALLOW_FILE_URLS)")
        path = Path(unquote(urlsplit(url).path))
        if not path.exists():
            return FetchResult(url=url, final_url=url, status=404)
        try:
            real = inside(path, self.file_roots)
            modified = format_datetime(datetime.fromtimestamp(int(real.stat().st_mtime), tz=timezone.utc), usegmt=True)
            if last_modified == modified:
                return FetchResult(url=url, final_url=url, status=304, last_modified=modified)
            content = read_regular(real, self.file_roots, self.settings.max_bytes, "NEWSWORKER_FETCH__MAX_BYTES")
        except InputError as exc:
            raise FetchError(url, exc.reason) from None
        except OSError as exc:
            raise FetchError(url, f"cannot read file: {exc.strerror or exc}") from None
        return FetchResult(url=url, final_url=url, status=200, content=content, last_modified=modified)


# Reading a small non-200 body (304, redirects, errors) lets the connection be reused;
# a large one is not worth it, and closing unread drops the connection instead.
DRAIN_LIMIT = 64 * 1024


def _drain(response: httpx.Response) -> None:
    declared = response.headers.get("content-length", "")
    try:
        if declared.isdigit() and int(declared) <= DRAIN_LIMIT:
            response.read()
    except httpx.HTTPError:
        pass  # the connection is dropped on close; nothing of ours depends on this body
    finally:
        response.close()


def make_client(settings: FetchSettings) -> httpx.Client:
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=16)
    return httpx.Client(
        timeout=timeout,
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=False,
        # No proxies from the environment: a proxy would connect for us, past the guard.
        trust_env=False,
        transport=guarded_transport(settings.allow_private, tls_context(settings), limits),
    )


def tls_context(settings: FetchSettings) -> ssl.SSLContext:
    """Certificate and host name verification, always: the public CAs, or a private CA file."""
    return ssl.create_default_context(cafile=str(settings.ca_certs) if settings.ca_certs else certifi.where())


_SSL_REASON = re.compile(r"certificate verify failed: (.*?)(?: \(_ssl\.c:\d+\))?\)?$")


def _ssl_detail(exc: Exception) -> str:
    """"self-signed certificate", "Hostname mismatch, ..." out of ssl's message."""
    found = _SSL_REASON.search(str(exc))
    return found.group(1) if found else str(exc)


MAX_VALIDATOR = 1024


def validator(value: str | None) -> str | None:
    """An ETag or Last-Modified fit to send back: printable ASCII of reasonable length. Any
    other (a server's "café" ETag) would make every later request of the feed fail."""
    if value and len(value) <= MAX_VALIDATOR and value.isascii() and value.isprintable():
        return value
    return None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - (now or datetime.now(timezone.utc))).total_seconds(), 0.0)
