"""Background work of the SMS app, and the app's only door to django-q2.

The tasks take primary keys and can run twice without harm: sending claims a delivery with a
conditional UPDATE first, so a task that django-q2 delivers again finds nothing left to do.
"""

from django_q.models import Schedule
from django_q.tasks import async_task, schedule

from . import sending

RECOVERY_SCHEDULE = "wagtail_grantee_sms: recover SMS deliveries"


def send_delivery(delivery_id):
    sending.send_delivery(delivery_id)


def send_deliveries(delivery_ids):
    sending.send_deliveries(delivery_ids)


def recover_deliveries():
    sending.recover_deliveries()


def enqueue_delivery(delivery_id, *, at=None):
    """Have a worker send delivery ``delivery_id`` now, or at ``at`` (a retry)."""
    if at is None:
        async_task(f"{__name__}.send_delivery", delivery_id)
    else:
        schedule(
            f"{__name__}.send_delivery",
            delivery_id,
            schedule_type=Schedule.ONCE,
            next_run=at,
        )


def ensure_schedules(**kwargs):
    """Create the periodic ``recover_deliveries`` task if it is missing (after ``migrate``)."""
    Schedule.objects.get_or_create(
        name=RECOVERY_SCHEDULE,
        defaults={
            "func": f"{__name__}.recover_deliveries",
            "schedule_type": Schedule.MINUTES,
            "minutes": 5,
            "repeats": -1,
        },
    )
