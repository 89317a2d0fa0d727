"""Log output: text for people, one JSON object per line for log collectors; secrets masked in both.

The format is a setting (``NEWSWORKER_LOG_FORMAT``). The CLI installs a handler with
``configure_root``; a Celery worker sets up its own handlers and ``apply_format`` then
swaps their formatters (see worker.tasklog).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from .settings import Settings

MASK = "***"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# user:password@ in a URL of any scheme: broker, Redis and cluster URLs end up in
# exception messages that nobody wrote with logs in mind.
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")
# Attributes every LogRecord has; any other attribute came from ``extra=`` and is data.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with URL passwords and every secret value replaced by ``***``."""
    text = _URL_PASSWORD.sub(lambda m: m["head"] + MASK + "@", text)
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def secrets_of(settings: Settings) -> tuple[str, ...]:
    """API keys and passwords set in ``settings``, longest first (one may contain another).
    Passwords inside URLs are masked by pattern, wherever the URL came from."""
    values = {settings.es.api_key, settings.es.password, settings.kibana.api_key, settings.kibana.password}
    return tuple(sorted((v for v in values if v), key=len, reverse=True))


class ScrubbingFormatter(logging.Formatter):
    """Another formatter's text, secrets masked: keeps Celery's own task formatter working."""

    def __init__(self, inner: logging.Formatter | None, secrets: Iterable[str] = ()):
        super().__init__()
        self.inner = inner or logging.Formatter(TEXT_FORMAT)
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return scrub(self.inner.format(record), self.secrets)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, message, the ``extra=`` fields, exc."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((k, v) for k, v in vars(record).items() if k not in _RECORD_ATTRS and k not in entry)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(self._masked(entry), ensure_ascii=False, default=str)

    def _masked(self, value: Any) -> Any:
        if isinstance(value, str):
            return scrub(value, self.secrets)
        if isinstance(value, dict):
            return {str(k): self._masked(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._masked(v) for v in value]
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return scrub(str(value), self.secrets)


def formatter(log_format: str, secrets: Iterable[str], inner: logging.Formatter | None = None) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(secrets)
    return ScrubbingFormatter(inner, secrets)


def apply_format(logger: logging.Logger, log_format: str, secrets: Iterable[str]) -> None:
    """Give every handler of ``logger`` the chosen format, keeping a text handler's own layout."""
    for handler in logger.handlers:
        inner = handler.formatter
        if isinstance(inner, ScrubbingFormatter):  # applied before: wrap the original, not the wrapper
            inner = inner.inner
        elif isinstance(inner, JsonFormatter):
            inner = None
        handler.setFormatter(formatter(log_format, secrets, inner))


def configure_root(level: int, log_format: str, secrets: Iterable[str]) -> None:
    """The CLI's logging: one stderr handler in the chosen format (a no-op if already configured)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format, secrets, logging.Formatter(TEXT_FORMAT)))
    logging.basicConfig(level=level, handlers=[handler])


def connect_worker(settings: Settings) -> None:
    """A Celery worker configures its handlers itself; this re-formats them once it has.
    The last app made in a process decides (a worker process makes one)."""
    from celery import signals

    log_format, secrets = settings.log_format, secrets_of(settings)

    def reformat(logger: logging.Logger | None = None, **_: Any) -> None:
        if logger is not None:
            apply_format(logger, log_format, secrets)

    for signal, uid in ((signals.after_setup_logger, "newsworker.logjson.root"),
                        (signals.after_setup_task_logger, "newsworker.logjson.task")):
        signal.disconnect(dispatch_uid=uid)
        signal.connect(reformat, dispatch_uid=uid, weak=False)
