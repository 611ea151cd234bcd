"""Shared limits: a backend's ``RATE_LIMIT`` (messages per second), shared by every worker, and
the site-wide hourly ceiling on verification SMS (``VERIFICATION_SENDS_PER_HOUR_TOTAL``).

When the default cache is Redis, the limit is a moving window of the ``limits`` library on that
Redis server; otherwise it is a token bucket in the database (``SendRateBucket``, one row per
backend alias, locked with ``SELECT … FOR UPDATE``). Either way the count lives outside the
process, so two workers sending through the same backend share one limit.
"""

import threading
import time
from datetime import timedelta
from functools import cache as memoise

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .conf import get_setting
from .models import Delivery, SendRateBucket

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


def wait_for_slot(alias, rate):
    """Block until backend ``alias`` may send one more message at ``rate`` per second."""
    while (wait := try_acquire(alias, rate)) > 0:
        time.sleep(wait)


def acquire(alias, rate, wanted):
    """Block until backend ``alias`` may send at least one more message at ``rate`` per
    second; take up to ``wanted`` slots (at most one second's worth) and return how many."""
    while True:
        taken, wait = try_acquire_many(alias, rate, wanted)
        if taken:
            return taken
        time.sleep(wait)


def try_acquire_many(alias, rate, wanted):
    """Take up to ``wanted`` slots that are free now: return (slots taken, seconds to wait
    when none was)."""
    location = redis_location()
    if location:
        return _try_acquire_many_redis(location, alias, rate, wanted)
    return _try_acquire_database(alias, rate, wanted)


def try_acquire(alias, rate):
    """Take a slot for one message if there is one: return 0, else the seconds to wait."""
    location = redis_location()
    if location:
        return _try_acquire_redis(location, alias, rate)
    taken, wait = _try_acquire_database(alias, rate, 1)
    return 0 if taken else wait


def redis_location():
    """The default cache's Redis URL, or "" when the default cache is not Redis."""
    config = settings.CACHES.get("default", {})
    if config.get("BACKEND") != REDIS_CACHE:
        return ""
    location = config.get("LOCATION", "")
    if isinstance(location, str):
        location = location.split(",")
    return location[0].strip()  # the primary: all writes go there


_limiter_lock = threading.Lock()


@memoise
def _redis_limiter(location):
    # Made once per process; two threads making it at once trip over ``limits``' lazy import.
    with _limiter_lock:
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


def _try_acquire_many_redis(location, alias, rate, wanted):
    limiter = _redis_limiter(location)
    item = _rate_item(rate)
    key = cache.make_key(f"wagtail_grantee_sms:rate:{alias}")
    reset_time, remaining = limiter.get_window_stats(item, key)
    # Another worker may take the same slots meanwhile: then ``hit`` refuses, try fewer.
    for taken in range(min(wanted, remaining), 0, -1):
        if limiter.hit(item, key, cost=taken):
            return taken, 0
    reset_time, _remaining = limiter.get_window_stats(item, key)
    return 0, max(reset_time - time.time(), 0.01)


def _try_acquire_database(alias, rate, wanted):
    rate = float(rate)
    capacity = max(rate, 1.0)  # a burst of at most one second's worth
    now = timezone.now()
    with transaction.atomic():
        bucket, _created = SendRateBucket.objects.select_for_update().get_or_create(
            backend_alias=alias, defaults={"tokens": capacity, "updated_at": now}
        )
        elapsed = max((now - bucket.updated_at).total_seconds(), 0)
        tokens = min(capacity, bucket.tokens + elapsed * rate)
        taken = min(int(tokens), wanted)
        wait = 0 if taken else (1 - tokens) / rate
        bucket.tokens = tokens - taken
        bucket.updated_at = max(now, bucket.updated_at)
        bucket.save(update_fields=["tokens", "updated_at"])
    return taken, wait


# The row of ``SendRateBucket`` locked while a verification SMS is counted against the ceiling,
# so that two sign-ups processed at the same moment cannot both take the last place.
CEILING_LOCK = "wagtail_grantee_sms:verification-ceiling"
HOUR = timedelta(hours=1)


class VerificationCeiling:
    """Verification SMS queued in the last 60 minutes, against the site-wide hourly ceiling.

    Counted from the ``Delivery`` records in the database, never from the cache, so that a
    cache that stores nothing cannot open it.
    """

    def __init__(self):
        self.limit = get_setting("VERIFICATION_SENDS_PER_HOUR_TOTAL")
        recent = Delivery.objects.filter(
            purpose=Delivery.Purpose.VERIFICATION, created_at__gte=timezone.now() - HOUR
        )
        self.count = recent.count()
        oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
        # When the oldest SMS of the window leaves it, one place is free again.
        self.free_at = oldest + HOUR if oldest else timezone.now()

    @property
    def reached(self):
        return self.count >= self.limit


def lock_verification_ceiling():
    """Within the caller's transaction: take the ceiling's lock and return its state."""
    SendRateBucket.objects.select_for_update().get_or_create(
        backend_alias=CEILING_LOCK, defaults={"updated_at": timezone.now()}
    )
    return VerificationCeiling()
