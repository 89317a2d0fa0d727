"""Kibana saved objects: read the NDJSON in kibana/, import it with the saved objects API.

Parsing and retargeting are pure; ``import_objects`` is the one network call.
"""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import httpx
from pydantic import BaseModel

from .errors import ConfigError, KibanaError
from .settings import KibanaSettings, redact_url

# The data views in the file name the aliases of the default index prefix.
FILE_PREFIX = "newsworker"
# What a status means for the user, beyond Kibana's own message.
HINTS = {
    401: "check NEWSWORKER_KIBANA__USERNAME / __PASSWORD or __API_KEY",
    403: "the user may not write saved objects in this space",
    404: "is this a Kibana URL, and does the space exist?",
    415: "Kibana expected a multipart upload",
}


class ImportedObject(BaseModel):
    type: str
    id: str
    title: str = ""


class ImportFailure(BaseModel):
    type: str
    id: str
    title: str = ""
    error: str


class ImportResult(BaseModel):
    success: bool
    count: int
    imported: list[ImportedObject]
    errors: list[ImportFailure]


def load_objects(path: Path, index_prefix: str) -> str:
    """The saved objects file as NDJSON, its data views pointed at ``index_prefix``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read Kibana saved objects {path}: {exc.strerror}; set NEWSWORKER_KIBANA__SAVED_OBJECTS") from None
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number}: not a JSON object ({exc.msg})") from None
        if not isinstance(obj, dict) or not obj.get("type") or not obj.get("id"):
            raise ConfigError(f"{path}:{number}: a saved object needs a type and an id")
        lines.append(json.dumps(retarget(obj, index_prefix), ensure_ascii=False, separators=(",", ":")))
    if not lines:
        raise ConfigError(f"{path} holds no saved objects")
    return "\n".join(lines) + "\n"


def retarget(obj: dict, index_prefix: str) -> dict:
    """A data view of the default prefix renamed for another NEWSWORKER_ES__INDEX_PREFIX."""
    title = obj.get("attributes", {}).get("title", "")
    if obj["type"] != "index-pattern" or index_prefix == FILE_PREFIX or not title.startswith(FILE_PREFIX + "-"):
        return obj
    renamed = index_prefix + title[len(FILE_PREFIX):]
    return {**obj, "attributes": {**obj["attributes"], "title": renamed}}


def import_url(base: str, space: str) -> str:
    base = base.rstrip("/")
    return f"{base}/s/{space}/api/saved_objects/_import" if space and space != "default" else f"{base}/api/saved_objects/_import"


def import_objects(settings: KibanaSettings, ndjson: str, url: str | None = None, space: str | None = None) -> ImportResult:
    """POST the objects (overwriting same ids, so importing twice is harmless) and read the answer."""
    target = import_url(url or settings.url, settings.space if space is None else space)
    headers = {"kbn-xsrf": "true"}
    auth = None
    if settings.api_key:
        headers["Authorization"] = f"ApiKey {settings.api_key}"
    elif settings.username:
        auth = httpx.BasicAuth(settings.username, settings.password)
    verify: bool | ssl.SSLContext = ssl.create_default_context(cafile=settings.ca_certs) if settings.ca_certs else settings.verify_certs
    try:
        with httpx.Client(timeout=settings.timeout, verify=verify) as client:
            response = client.post(
                target, params={"overwrite": "true"}, headers=headers, auth=auth,
                files={"file": ("newsworker.ndjson", ndjson.encode("utf-8"), "application/ndjson")},
            )
    except httpx.HTTPError as exc:
        raise KibanaError(f"Kibana at {redact_url(target)} cannot be reached ({exc}); "
                          "is it up? set NEWSWORKER_KIBANA__URL or --url") from None
    return parse_response(response.status_code, response.text, redact_url(target))


def parse_response(status: int, body: str, where: str) -> ImportResult:
    """Kibana's answer as an ImportResult; a refused request as KibanaError with what to do."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        data = None
    if status != 200 or not isinstance(data, dict) or "success" not in data:
        message = data.get("message") if isinstance(data, dict) else body[:200]
        hint = HINTS.get(status, "see Kibana's log")
        raise KibanaError(f"Kibana at {where} answered HTTP {status}: {message or 'no message'}; {hint}")
    return ImportResult(
        success=bool(data["success"]),
        count=int(data.get("successCount", 0)),
        imported=[ImportedObject(type=o["type"], id=o["id"], title=_title(o)) for o in data.get("successResults", [])],
        errors=[ImportFailure(type=e["type"], id=e["id"], title=_title(e), error=_error_text(e.get("error", {})))
                for e in data.get("errors", [])],
    )


def _title(obj: dict) -> str:
    return (obj.get("meta") or {}).get("title") or obj.get("title") or ""


def _error_text(error: dict) -> str:
    kind = error.get("type", "unknown")
    if kind == "missing_references":
        refs = ", ".join(f"{r.get('type')} {r.get('id')}" for r in error.get("references", []))
        return f"missing references: {refs}"
    if kind == "unknown":
        return f"{error.get('message', 'unknown error')} (HTTP {error.get('statusCode', error.get('status_code', '?'))})"
    return kind.replace("_", " ")
