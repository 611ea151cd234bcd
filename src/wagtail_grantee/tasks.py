"""Background work of the grantee app, and the app's only door to django-q2.

Tasks take URLs or primary keys and can run twice without harm (a hub pinged twice just
fetches the feed twice; a feed fetched twice changes no entry the second time).
"""

from django.db import transaction
from django_q.models import Schedule
from django_q.tasks import async_task

from .aggregator import fetching
from .feeds import websub


def ping_websub_hub(topic_urls):
    return websub.ping_hub(topic_urls)


def enqueue_websub_ping(topic_urls):
    """Ping the WebSub hub about ``topic_urls`` in the background, once the transaction
    that changed them has committed (so the hub fetches the new feeds)."""
    topic_urls = sorted(set(topic_urls))
    if topic_urls:
        transaction.on_commit(lambda: async_task(f"{__name__}.ping_websub_hub", topic_urls))


# -- the aggregator ----------------------------------------------------------------------------

AGGREGATOR_SCHEDULE = "wagtail_grantee: fetch aggregator feeds"
AGGREGATOR_SCHEDULE_MINUTES = 15


def fetch_feeds(source_ids=None, force=False):
    """Fetch the due feed sources (or ``source_ids``); returns the run's summary line."""
    return fetching.run(source_ids, force=force).describe()


def ensure_schedules(**kwargs):
    """Create the aggregator's periodic fetch (every 15 minutes) if it is missing; run after
    ``migrate``. A site may change its interval in the admin: it is never overwritten."""
    Schedule.objects.get_or_create(
        name=AGGREGATOR_SCHEDULE,
        defaults={
            "func": f"{__name__}.fetch_feeds",
            "schedule_type": Schedule.MINUTES,
            "minutes": AGGREGATOR_SCHEDULE_MINUTES,
            "repeats": -1,
        },
    )
