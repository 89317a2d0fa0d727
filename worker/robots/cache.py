"""Where robots.txt files and each host's next allowed fetch time are kept: Redis, shared by
every worker (so a Crawl-delay holds across them), else this process."""

from __future__ import annotations

import logging
import threading
import time

import redis

from .rules import RobotsFile

log = logging.getLogger(__name__)

ROBOTS_KEY = "newsworker:robots:file:{origin}"
SLOT_KEY = "newsworker:robots:next:{host}"

# Book the next slot of a host atomically, on Redis's own clock (workers' clocks differ):
# returns the seconds to wait, or -seconds when that is over the caller's limit (nothing booked).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local delay, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2])
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
if at - now > max_wait then return tostring(now - at) end
redis.call('SET', KEYS[1], tostring(at + delay), 'PX', math.ceil((at + delay - now + 60) * 1000))
return tostring(at - now)
"""


class MemoryRobotsCache:
    """This process only: the embedded default when no Redis answers."""

    def __init__(self) -> None:
        self._files: dict[str, RobotsFile] = {}
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        pass

    def get(self, origin: str) -> RobotsFile | None:
        found = self._files.get(origin)
        return found if found is not None and found.expires_at > time.time() else None

    def put(self, robots: RobotsFile) -> None:
        self._files[robots.origin] = robots

    def reserve(self, host: str, delay: float, max_wait: float) -> float:
        """Seconds to wait for ``host``'s next slot (booked), or minus them when over ``max_wait``."""
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(host, 0.0))
            if at - now > max_wait:
                return now - at
            self._next[host] = at + delay
            return at - now


class RedisRobotsCache:
    def __init__(self, client: redis.Redis):
        self.client = client
        self._reserve = client.register_script(_RESERVE)

    def close(self) -> None:
        self.client.close()

    def get(self, origin: str) -> RobotsFile | None:
        raw = self.client.get(ROBOTS_KEY.format(origin=origin))
        return RobotsFile.model_validate_json(raw) if raw else None

    def put(self, robots: RobotsFile) -> None:
        ttl = max(1, int(robots.expires_at - time.time()))
        self.client.set(ROBOTS_KEY.format(origin=robots.origin), robots.model_dump_json(), ex=ttl)

    def reserve(self, host: str, delay: float, max_wait: float) -> float:
        return float(self._reserve(keys=[SLOT_KEY.format(host=host)], args=[delay, max_wait]))


RobotsCache = MemoryRobotsCache | RedisRobotsCache


def make_cache(url: str) -> RobotsCache:
    """Redis at ``url`` when it answers, else this process (said once in the log)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        log.warning("robots.txt cache and crawl delays kept in this process only: Redis does not answer (%s)", exc)
        client.close()
        return MemoryRobotsCache()
    return RedisRobotsCache(client)
