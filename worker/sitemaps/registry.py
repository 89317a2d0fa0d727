"""The sitemap registry: config/sitemaps.toml, the feed registry's format with [[sitemaps]]."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from ..feeds.registry import Registry

HEADER = """\
# Sitemaps newsworker polls. Managed with `newsworker sitemaps add|remove`; hand edits are fine.
# url: a sitemap, a sitemap index (gzip too), a Google News sitemap, or a site's robots.txt (its
# Sitemap: lines are read); name: the source name for pages that do not say (news:name wins);
# interval_minutes: how often to poll.
"""


class SitemapConfig(BaseModel):
    url: str
    name: str | None = None
    interval_minutes: int = Field(default=60, ge=1, le=366 * 24 * 60)

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"sitemap URL must be http or https: {value!r}")
        return value

    @property
    def is_robots(self) -> bool:
        return self.url.split("?")[0].endswith("/robots.txt")


class SitemapRegistry(Registry):
    table = "sitemaps"
    model = SitemapConfig
    header = HEADER
