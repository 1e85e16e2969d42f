"""A small fixed-window rate limit on the cache, for public forms that send e-mail."""

from django.core.cache import cache


def client_ip(request) -> str:
    # allauth knows about trusted proxies (ALLAUTH_TRUSTED_PROXY_COUNT); use the same answer.
    from allauth.account.adapter import get_adapter

    return get_adapter(request).get_client_ip(request) or ""


def allow_attempt(request, *, scope: str, limit: int, period: int) -> bool:
    """Count one attempt of ``scope`` from the client's address; False once ``limit`` attempts
    were made within ``period`` seconds."""
    key = f"rohstoff:rl:{scope}:{client_ip(request)}"
    cache.add(key, 0, timeout=period)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period)
        count = 1
    return count <= limit
