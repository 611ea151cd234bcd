"""What the background worker is doing, for the admin's banner and ``manage.py sms_status``.

Nothing in the database says whether django-q2's cluster (``manage.py qcluster``) runs; what
shows is its effect. A worker takes a queued SMS within seconds of it being due, so an SMS
still queued ``WORKER_WARNING_AFTER`` seconds after it was due means that no worker is
taking the queue: it was never started, it stopped, or it reads another broker.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F, Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from .backends import get_backend_settings
from .conf import get_setting
from .models import Delivery
from .sending import due_since

Status = Delivery.Status


@dataclass(frozen=True)
class QueueReport:
    queued: int  # every queued SMS, due or waiting for a planned retry
    overdue: int  # due for longer than WORKER_WARNING_AFTER
    oldest_wait: timedelta | None  # how long the SMS due first has been waiting
    sending: int
    review: int

    @property
    def worker_stopped(self):
        return self.overdue > 0


def worker_seems_stopped():
    """Whether an SMS has waited in "queued" longer than ``WORKER_WARNING_AFTER`` (one query)."""
    return _overdue().exists()


def queue_report():
    """Counts and ages of the queue, for a developer's diagnosis (a few queries)."""
    now = timezone.now()
    counts = {
        status: Delivery.objects.filter(status=status).count()
        for status in (Status.QUEUED, Status.SENDING, Status.REVIEW)
    }
    first_due = due_since(now).aggregate(
        first=Min(Coalesce(F("next_attempt_at"), F("created_at")))
    )["first"]
    return QueueReport(
        queued=counts[Status.QUEUED],
        overdue=_overdue().count(),
        oldest_wait=now - first_due if first_due else None,
        sending=counts[Status.SENDING],
        review=counts[Status.REVIEW],
    )


def backends_description():
    """``alias: dotted.path`` of each configured SMS backend."""
    return [
        f"{alias}: {get_backend_settings(alias)['BACKEND']}" for alias in get_setting("BACKENDS")
    ]


def broker_description():
    """Which django-q2 broker the site queues tasks on, as ``Q_CLUSTER`` configures it."""
    from django_q.conf import Conf

    if Conf.SYNC:
        return "sync: tasks run at once, in the process that queues them (no worker needed)"
    if Conf.BROKER_CLASS:
        return f"custom broker {Conf.BROKER_CLASS}"
    for option, name in (
        ("REDIS", "Redis"),
        ("ORM", "database (django ORM, connection {})"),
        ("MONGO", "MongoDB"),
        ("SQS", "Amazon SQS"),
        ("IRON_MQ", "IronMQ"),
    ):
        value = getattr(Conf, option, None)
        if value:
            return name.format(value)
    return "Redis (django-q2's default)"


def _overdue():
    return due_since(timezone.now() - timedelta(seconds=get_setting("WORKER_WARNING_AFTER")))
