import os
import time
from types import SimpleNamespace

import pytest

import wagtail_grantee_sms
from tests.concurrency import needs_postgresql, run_concurrently
from tests.sms.factories import DeliveryFactory
from tests.sms.pipeline_backends import configure
from wagtail_grantee_sms import ratelimit, sending
from wagtail_grantee_sms.models import SendRateBucket

REDIS_URL = os.environ.get("REDIS_URL")
LOCMEM_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def database_storage(settings):
    settings.CACHES = LOCMEM_CACHE
    assert ratelimit.redis_location() == ""


@pytest.fixture
def redis_storage(settings):
    if not REDIS_URL:
        pytest.skip("Set REDIS_URL to test the rate limit on Redis.")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", "ratelimit-test"),
        }
    }
    from django.core.cache import cache

    cache.clear()
    assert ratelimit.redis_location() == REDIS_URL


def run_workers(count, calls_each, alias, rate):
    """``count`` threads, each taking ``calls_each`` slots as a worker process would."""

    def worker():
        return [ratelimit.try_acquire(alias, rate) for _call in range(calls_each)]

    return [wait for waits in run_concurrently(worker, count) for wait in waits]


@pytest.mark.django_db
def test_two_workers_share_the_database_bucket(database_storage):
    first_worker = ratelimit.try_acquire("default", 1)
    second_worker = ratelimit.try_acquire("default", 1)

    assert first_worker == 0
    assert 0 < second_worker <= 1  # waits for the token the first worker took
    assert SendRateBucket.objects.get().backend_alias == "default"


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_share_the_database_bucket(database_storage):
    # One message per 10 seconds: no token comes back while the test runs, however slow.
    results = run_workers(count=4, calls_each=3, alias="default", rate=0.1)

    assert sum(wait == 0 for wait in results) == 1


@pytest.mark.django_db
def test_each_backend_alias_has_its_own_limit(database_storage):
    assert ratelimit.try_acquire("default", 1) == 0
    assert ratelimit.try_acquire("default", 1) > 0
    assert ratelimit.try_acquire("gammu", 1) == 0


def test_two_workers_share_the_redis_window(redis_storage, monkeypatch):
    now = time.time()  # the window does not move while the test runs, however slow
    monkeypatch.setattr("limits.storage.redis.time", SimpleNamespace(time=lambda: now))

    results = run_workers(count=4, calls_each=3, alias="default", rate=5)

    assert sum(wait == 0 for wait in results) == 5
    assert all(0 < wait <= 1 for wait in results if wait)
    ratelimit._redis_limiter.cache_clear()  # another process: its own connection, same window
    assert ratelimit.try_acquire("default", 5) > 0


def test_a_rate_below_one_per_second_counts_per_minute(redis_storage):
    results = [ratelimit.try_acquire("slow", 0.5) for _call in range(31)]

    assert sum(wait == 0 for wait in results) == 30


@pytest.mark.django_db
def test_the_sending_pipeline_waits_for_the_shared_limit(settings, database_storage, monkeypatch):
    configure(settings)
    settings.WAGTAIL_GRANTEE_SMS["BACKENDS"]["default"]["RATE_LIMIT"] = 2
    waits = []
    real_sleep = ratelimit.time.sleep

    def sleep(seconds):
        waits.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(ratelimit.time, "sleep", sleep)
    deliveries = DeliveryFactory.create_batch(3)

    sending.send_deliveries([d.pk for d in deliveries])

    assert len(wagtail_grantee_sms.outbox) == 3
    assert waits and all(0 < wait <= 0.5 for wait in waits)  # the third waited for its token
