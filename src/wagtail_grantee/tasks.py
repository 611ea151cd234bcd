"""Background work of the grantee app, and the app's only door to django-q2.

Tasks take URLs or primary keys and can run twice without harm (a hub pinged twice just
fetches the feed twice).
"""

from django.db import transaction
from django_q.tasks import async_task

from .feeds import websub
from .importers import runs


def ping_websub_hub(topic_urls):
    return websub.ping_hub(topic_urls)


def enqueue_websub_ping(topic_urls):
    """Ping the WebSub hub about ``topic_urls`` in the background, once the transaction
    that changed them has committed (so the hub fetches the new feeds)."""
    topic_urls = sorted(set(topic_urls))
    if topic_urls:
        transaction.on_commit(lambda: async_task(f"{__name__}.ping_websub_hub", topic_urls))


def run_import(import_run_pk):
    return runs.run_import(import_run_pk)


def enqueue_import(import_run_pk):
    """Run the import ``import_run_pk`` in the background once its record is committed."""
    transaction.on_commit(lambda: async_task(f"{__name__}.run_import", import_run_pk))
