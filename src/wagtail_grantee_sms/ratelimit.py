"""A backend's ``RATE_LIMIT`` (messages per second), shared by every worker.

When the default cache is Redis, the limit is a moving window of the ``limits`` library on that
Redis server; otherwise it is a token bucket in the database (``SendRateBucket``, one row per
backend alias, locked with ``SELECT … FOR UPDATE``). Either way the count lives outside the
process, so two workers sending through the same backend share one limit.
"""

import time
from functools import cache as memoise

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .models import SendRateBucket

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


def wait_for_slot(alias, rate):
    """Block until backend ``alias`` may send one more message at ``rate`` per second."""
    while (wait := try_acquire(alias, rate)) > 0:
        time.sleep(wait)


def try_acquire(alias, rate):
    """Take a slot for one message if there is one: return 0, else the seconds to wait."""
    location = redis_location()
    if location:
        return _try_acquire_redis(location, alias, rate)
    return _try_acquire_database(alias, rate)


def redis_location():
    """The default cache's Redis URL, or "" when the default cache is not Redis."""
    config = settings.CACHES.get("default", {})
    if config.get("BACKEND") != REDIS_CACHE:
        return ""
    location = config.get("LOCATION", "")
    if isinstance(location, str):
        location = location.split(",")
    return location[0].strip()  # the primary: all writes go there


@memoise
def _redis_limiter(location):
    return MovingWindowRateLimiter(storage_from_string(location))


def _rate_item(rate):
    # ``limits`` counts whole messages per period: 0.5/s is 30 per minute.
    rate = float(rate)
    if rate.is_integer():
        return RateLimitItemPerSecond(int(rate))
    return RateLimitItemPerMinute(max(1, round(rate * 60)))


def _try_acquire_redis(location, alias, rate):
    limiter = _redis_limiter(location)
    item = _rate_item(rate)
    key = cache.make_key(f"wagtail_grantee_sms:rate:{alias}")  # the site's key prefix
    if limiter.hit(item, key):
        return 0
    reset_time, _remaining = limiter.get_window_stats(item, key)
    return max(reset_time - time.time(), 0.01)


def _try_acquire_database(alias, rate):
    rate = float(rate)
    capacity = max(rate, 1.0)  # a burst of at most one second's worth
    now = timezone.now()
    with transaction.atomic():
        bucket, _created = SendRateBucket.objects.select_for_update().get_or_create(
            backend_alias=alias, defaults={"tokens": capacity, "updated_at": now}
        )
        elapsed = max((now - bucket.updated_at).total_seconds(), 0)
        tokens = min(capacity, bucket.tokens + elapsed * rate)
        wait = 0 if tokens >= 1 else (1 - tokens) / rate
        bucket.tokens = tokens - 1 if wait == 0 else tokens
        bucket.updated_at = max(now, bucket.updated_at)
        bucket.save(update_fields=["tokens", "updated_at"])
    return wait
