"""The Redis cache, made so that a Redis outage is not an outage of the platform.

Django's ``RedisCache`` raises when Redis cannot be reached, and everything that touches the
cache (allauth's login rate limit, used TOTP codes, the dashboards' cached figures) would answer
500. ``ResilientRedisCache`` catches Redis and connection errors, logs them, and serves the
operation from a small in-process memory cache instead: reads miss (or see what this process wrote
during the outage), writes land in memory. Rate limits and used-code checks keep counting per
process, so they fail safe rather than open. After an error Redis is left alone for
``RETRY_AFTER`` seconds (requests do not each wait for a connect timeout), then tried again.

See docs/operations.md ("Redis unavailable").
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

try:  # redis-py is only needed when this backend is configured
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover
    RedisError = OSError

# What "Redis is unreachable or broken" looks like; anything else (ValueError from incr on a
# missing key, a pickling error) is the caller's business and propagates as with RedisCache.
REDIS_ERRORS = (RedisError, ConnectionError, TimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    """``RedisCache`` that falls back to process memory while Redis is unavailable.

    Extra ``OPTIONS`` (removed before they reach redis-py): ``RETRY_AFTER`` seconds to skip Redis
    after an error (default 5). Set ``socket_connect_timeout``/``socket_timeout`` in ``OPTIONS``
    too, so that an unreachable host fails fast.
    """

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = float(options.pop("RETRY_AFTER", 5))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._fallback = LocMemCache(f"rohstoff-redis-fallback-{id(self)}", {"OPTIONS": {}})
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def redis_available(self) -> bool:
        """False while the last error is less than ``RETRY_AFTER`` seconds old."""
        return time.monotonic() >= self._down_until

    def _call(self, name: str, *args, **kwargs):
        if self.redis_available:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except REDIS_ERRORS as exc:
                self._went_down(name, exc)
        return getattr(self._fallback, name)(*args, **kwargs)

    def _went_down(self, operation: str, exc: BaseException) -> None:
        with self._lock:
            first = self.redis_available  # log once per outage window, not once per request
            self._down_until = time.monotonic() + self.retry_after
        if first:
            log.error(
                "Redis cache unavailable (%s: %s); using process memory for %.0f s.",
                operation,
                exc,
                self.retry_after,
            )

    def add(self, key, *args, **kwargs):
        return self._call("add", key, *args, **kwargs)

    def get(self, key, *args, **kwargs):
        return self._call("get", key, *args, **kwargs)

    def set(self, key, *args, **kwargs):
        return self._call("set", key, *args, **kwargs)

    def touch(self, key, *args, **kwargs):
        return self._call("touch", key, *args, **kwargs)

    def delete(self, key, *args, **kwargs):
        return self._call("delete", key, *args, **kwargs)

    def get_many(self, keys, *args, **kwargs):
        return self._call("get_many", keys, *args, **kwargs)

    def has_key(self, key, *args, **kwargs):
        return self._call("has_key", key, *args, **kwargs)

    def incr(self, key, *args, **kwargs):
        return self._call("incr", key, *args, **kwargs)

    def set_many(self, data, *args, **kwargs):
        return self._call("set_many", data, *args, **kwargs)

    def delete_many(self, keys, *args, **kwargs):
        return self._call("delete_many", keys, *args, **kwargs)

    def clear(self):
        self._fallback.clear()
        return self._call("clear")
