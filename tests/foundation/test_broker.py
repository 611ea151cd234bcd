from django.conf import settings
from django.core.cache import cache
from django_q.tasks import async_task, result


def test_a_queued_task_travels_through_the_configured_broker(queue_worker):
    expected_broker = "Redis" if settings.Q_CLUSTER.get("redis") else "ORM"
    assert type(queue_worker.broker).__name__ == expected_broker

    task_id = async_task("tests.foundation.tasks.remember", "answer", 21, sync=False)

    assert queue_worker.broker.queue_size() == 1
    assert cache.get("answer") is None  # nothing ran yet: it waits on the broker

    assert queue_worker.drain() == [task_id]
    assert cache.get("answer") == 21
    assert result(task_id) == 42
    assert queue_worker.broker.queue_size() == 0
