import pytest
from django.db import connection


def pytest_report_header(config):
    from django.conf import settings

    broker = "Redis" if settings.Q_CLUSTER.get("redis") else "django ORM"
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return (
        f"wagtail-grantee: database {connection.vendor} "
        f"({settings.DATABASES['default']['ENGINE']}), django-q2 broker {broker}, cache {cache}"
    )


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache, also on a shared Redis."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


class QueueWorker:
    """Runs what producers put on the configured django-q2 broker, as a cluster worker would.

    Tests that must prove a task really travels through the broker (Redis when ``REDIS_URL``
    is set, the ORM otherwise) queue it with ``async_task(..., sync=False)`` and call
    :meth:`drain`.
    """

    def __init__(self):
        from django_q.brokers import get_broker

        self.broker = get_broker()
        self.broker.purge_queue()

    def drain(self):
        from django_q.tasks import _sync

        ran = []
        while packages := self.broker.dequeue():
            for ack_id, package in packages:
                ran.append(_sync(package))  # django-q2's own worker and monitor, in process
                self.broker.acknowledge(ack_id)
        return ran


@pytest.fixture
def queue_worker(db):
    worker = QueueWorker()
    yield worker
    worker.broker.purge_queue()
