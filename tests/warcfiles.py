"""WARC files for tests, written with warcio as a crawler would (CC-NEWS: gzip member per record)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def page(title: str, body: str, published: str = "2024-05-02") -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    return (f"<html><head><title>{title}</title><meta property=\"article:published_time\" content=\"{published}\">"
            f"</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>").encode()


def response(writer: WARCWriter, uri: str, payload: bytes, *, status: str = "200 OK",
             content_type: str = "text/html; charset=utf-8", date: str = "2024-05-03T10:00:00Z"):
    http = StatusAndHeaders(status, [("Content-Type", content_type), ("Content-Length", str(len(payload)))],
                            protocol="HTTP/1.1")
    return writer.create_warc_record(uri, "response", payload=BytesIO(payload), http_headers=http,
                                     warc_headers_dict={"WARC-Date": date})


def request(writer: WARCWriter, uri: str):
    http = StatusAndHeaders(f"GET {uri} HTTP/1.1", [("User-Agent", "test")], is_http_request=True)
    return writer.create_warc_record(uri, "request", payload=BytesIO(b""), http_headers=http)


def record_bytes(record, gzip: bool = True) -> bytes:
    """One record alone, as the bytes it takes in a file (a gzip member of its own)."""
    out = BytesIO()
    WARCWriter(out, gzip=gzip).write_record(record)
    return out.getvalue()


def write_warc(path: Path, pieces: list[bytes]) -> Path:
    path.write_bytes(b"".join(pieces))
    return path


def writer(gzip: bool = True) -> WARCWriter:
    """A writer to make records with (each then written alone by record_bytes)."""
    return WARCWriter(BytesIO(), gzip=gzip)
