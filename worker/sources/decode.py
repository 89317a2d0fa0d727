"""Bytes to text, refusing what is not text with a reason."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from ..errors import InputError

_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
# Share of C0 control bytes (other than tab/newline/CR/form feed) above which bytes are binary.
_MAX_CONTROL_SHARE = 0.05


def decode_text(origin: str, data: bytes, html: bool = False) -> str:
    """Decode ``data`` as UTF-8, a declared HTML charset, or a detected encoding."""
    if not data.strip():
        raise InputError(origin, "file is empty")
    if looks_binary(data):
        raise InputError(origin, "binary content, not a text article (NUL or control bytes)")
    for encoding in _candidates(data, html):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    western = _western(data)
    if western is not None:
        return western
    best = from_bytes(data[:65536]).best()
    if best is None or best.encoding is None:
        raise InputError(origin, "cannot decode as text: not UTF-8 and no other encoding fits")
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise InputError(origin, f"cannot decode as text: not UTF-8, and {best.encoding} fails too") from None


def _candidates(data: bytes, html: bool) -> list[str]:
    if data.startswith(codecs.BOM_UTF8):
        return ["utf-8-sig"]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ["utf-16"]
    found = ["utf-8"]
    if html and (match := _META_CHARSET.search(data[:4096])):
        found.append(match.group(1).decode("ascii"))
    return found


# Non-ASCII characters of Western European text: Latin-1 letters and symbols, and the
# typographic punctuation cp1252 adds. Detectors guess other code pages on short text.
_WESTERN = set(range(0xA0, 0x100)) | {ord(c) for c in "‘’‚“”„–—…•€™‰‹›ŒœŠšŽžŸƒ†‡ˆ˜"}


def _western(data: bytes) -> str | None:
    """cp1252 text, if every non-ASCII character decodes to something Western text uses."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return text if all(ord(c) < 0x80 or ord(c) in _WESTERN for c in text) else None


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls / max(len(sample), 1) > _MAX_CONTROL_SHARE
