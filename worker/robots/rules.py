"""What a host's robots.txt says about one URL, for our User-Agent. Pure.

RFC 9309 on a robots.txt that could not be had: 4xx means there are no rules (allow all);
5xx or no answer means the site is unreachable, so nothing may be fetched (disallow all)
until it is read again.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from protego import Protego
from pydantic import BaseModel

Verdict = Literal["rules", "allow_all", "disallow_all"]


class RobotsFile(BaseModel):
    """One origin's robots.txt as fetched: what it means, until when it is trusted."""

    origin: str
    verdict: Verdict
    body: str = ""
    # Why "disallow_all" (the HTTP status or the network error), for the refusal's reason.
    why: str = ""
    expires_at: float


class Decision(BaseModel):
    allowed: bool
    reason: str = ""
    crawl_delay: float | None = None
    # Refused only until robots.txt can be read again: worth asking later.
    transient: bool = False


def origin_of(url: str) -> str:
    """scheme://host[:port], lower-cased: what one robots.txt governs."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme.lower()}://{host}{port}"


def host_of(url: str) -> str:
    """The host a Crawl-delay spaces requests to (http and https of one host are one server)."""
    return (urlsplit(url).hostname or "").lower()


def robots_url(url: str) -> str:
    return origin_of(url) + "/robots.txt"


def product_token(user_agent: str) -> str:
    """"newsworker/0.1 (+https://...)" -> "newsworker": the name robots.txt groups address."""
    return user_agent.strip().split("/")[0].split()[0].lower() if user_agent.strip() else "*"


def from_response(origin: str, status: int | None, body: str, now: float, ttl: float, error_ttl: float,
                  error: str = "") -> RobotsFile:
    """The RobotsFile for a fetch of ``origin``'s robots.txt that answered ``status`` (None: no
    answer); ``error``: why it could not be read whole."""
    if not error and status is not None and 200 <= status < 300:
        return RobotsFile(origin=origin, verdict="rules", body=body, expires_at=now + ttl)
    if not error and status is not None and 400 <= status < 500:
        return RobotsFile(origin=origin, verdict="allow_all", expires_at=now + ttl)
    why = error or f"HTTP {status}"
    return RobotsFile(origin=origin, verdict="disallow_all", why=why, expires_at=now + error_ttl)


@lru_cache(maxsize=256)
def _parsed(body: str) -> Protego:
    return Protego.parse(body)


def decide(robots: RobotsFile, url: str, user_agent: str) -> Decision:
    """May ``user_agent`` fetch ``url`` under ``robots``, and how long apart (Crawl-delay)."""
    if robots.verdict == "allow_all":
        return Decision(allowed=True)
    if robots.verdict == "disallow_all":
        return Decision(allowed=False, reason=(
            f"refused: {robots.origin}/robots.txt could not be read ({robots.why}), which means disallow all "
            "(RFC 9309); tried again when its cache entry expires (NEWSWORKER_ROBOTS__ERROR_CACHE_SECONDS)"),
            transient=True)
    rules = _parsed(robots.body)
    token = product_token(user_agent)
    if not rules.can_fetch(url, token):
        return Decision(allowed=False, reason=f"refused by {robots.origin}/robots.txt (Disallow for {token}): not fetched")
    return Decision(allowed=True, crawl_delay=rules.crawl_delay(token))


def sitemaps_of(robots: RobotsFile) -> list[str]:
    """The Sitemap: lines of a robots.txt."""
    return list(_parsed(robots.body).sitemaps) if robots.verdict == "rules" else []
