"""Content-Encoding (gzip, deflate) undone with a cap on what comes out.

httpx inflates each network chunk whole: 64 KiB of a gzip bomb becomes 64 MiB in memory
before any size check can run. Here each chunk is inflated to at most the room left under
the cap (plus one byte, to see it overflow), so memory stays near the cap whatever the
compression ratio.
"""

from __future__ import annotations

import zlib

GZIP_WBITS = zlib.MAX_WBITS | 16
ZLIB_WBITS = zlib.MAX_WBITS
RAW_WBITS = -zlib.MAX_WBITS


class DecodingError(ValueError):
    """The body is not what its Content-Encoding says, or uses one we do not undo."""


class LimitExceeded(Exception):
    """The decoded body would be larger than the cap."""


class _Inflate:
    def __init__(self, wbits: int, fallback_wbits: int | None = None):
        self._wbits, self._fallback = wbits, fallback_wbits
        self._inflater = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = self._inflater.decompress(data, room + 1)
        except zlib.error as exc:
            if self._started or self._fallback is None:
                raise DecodingError(str(exc)) from None
            # "deflate" is zlib-wrapped by the RFC, raw deflate from some servers.
            self._inflater, self._fallback = zlib.decompressobj(self._fallback), None
            return self.feed(data, room)
        self._started = True
        # At most room + 1 bytes came out: one more than the room means over the cap, and the
        # rest of the input (unconsumed_tail) is never inflated.
        if len(out) > room:
            raise LimitExceeded
        return out

    def flush(self, room: int) -> bytes:
        out = self._inflater.flush()
        if len(out) > room:
            raise LimitExceeded
        return out


class _Identity:
    def feed(self, data: bytes, room: int) -> bytes:
        if len(data) > room:
            raise LimitExceeded
        return data

    def flush(self, room: int) -> bytes:
        return b""


def _decoder(coding: str) -> _Inflate | _Identity:
    if coding in ("", "identity"):
        return _Identity()
    if coding in ("gzip", "x-gzip"):
        return _Inflate(GZIP_WBITS)
    if coding == "deflate":
        return _Inflate(ZLIB_WBITS, fallback_wbits=RAW_WBITS)
    raise DecodingError(f"unsupported Content-Encoding {coding!r} (gzip and deflate are accepted)")


class BoundedDecoder:
    """Feed raw body chunks, get decoded bytes; LimitExceeded once more than ``limit`` would come out."""

    def __init__(self, content_encoding: str, limit: int):
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        if len(codings) > 1:
            raise DecodingError(f"stacked Content-Encoding {content_encoding!r} is not accepted")
        self._decoder = _decoder(codings[0] if codings else "")
        self.limit = limit
        self.size = 0

    def feed(self, chunk: bytes) -> bytes:
        return self._count(self._decoder.feed(chunk, self.limit - self.size))

    def flush(self) -> bytes:
        return self._count(self._decoder.flush(self.limit - self.size))

    def _count(self, out: bytes) -> bytes:
        self.size += len(out)
        return out
