"""What every command shares: lazily built settings and runtime, JSON output, error guard."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import click

from ..errors import ConfigError, NewsworkerError
from ..runtime import Runtime
from ..settings import Settings, load_settings, redact_url
from .filters import FilterSyntaxError


class Context:
    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._runtime: Runtime | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                settings = load_settings()
            except ConfigError as exc:  # names the settings, never their values (secrets)
                raise click.ClickException(str(exc)) from None
            self._settings = settings
        return self._settings

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime(self.local_settings)
        return self._runtime

    @property
    def local_settings(self) -> Settings:
        """The settings for work done by this command: in process, the operator's own working
        folder is theirs to read (file: feeds such as the demo's file:seeds/feed.xml); workers
        read only NEWSWORKER_INBOX_DIRS."""
        return self.settings.reading_also([Path.cwd()]) if self.settings.eager else self.settings

    def mode(self) -> str:
        s = self.settings
        if s.eager:
            return "in process (no broker configured; set NEWSWORKER_BROKER_URL to use workers)"
        return f"broker {redact_url(s.broker_url)} queue {s.queue}"


pass_context = click.make_pass_decorator(Context, ensure=True)


def emit_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def guard(func):
    """Typed errors become one clear line and exit status 1, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (NewsworkerError, FilterSyntaxError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper
