"""Background work of the SMS app, and the app's only door to django-q2.

The tasks take primary keys and can run twice without harm: sending claims a delivery with a
conditional UPDATE first, so a task that django-q2 delivers again finds nothing left to do.
"""

from django_q.models import Schedule
from django_q.tasks import async_task, schedule

from . import broadcasting, polling, sending, signup

RECOVERY_SCHEDULE = "wagtail_grantee_sms: recover SMS deliveries"
SIGNUP_SCHEDULE = "wagtail_grantee_sms: send waiting verification SMS"
POLLING_SCHEDULE = "wagtail_grantee_sms: collect from polled SMS backends"


def send_delivery(delivery_id):
    sending.send_delivery(delivery_id)


def send_deliveries(delivery_ids):
    sending.send_deliveries(delivery_ids)


def recover_deliveries():
    sending.recover_deliveries()
    broadcasting.recover_broadcasts()


def send_broadcast_chunk(broadcast_id, first_id, last_id):
    broadcasting.send_chunk(broadcast_id, first_id, last_id)


def start_broadcast(broadcast_id):
    broadcasting.start_broadcast(broadcast_id)


def poll_backends():
    polling.poll_backends()


def process_signup(request_id):
    signup.process(request_id)


def send_waiting_signups():
    signup.send_waiting()


def enqueue_signup(request_id):
    """Have a worker act on a sign-up from the public page."""
    async_task(f"{__name__}.process_signup", request_id)


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


def enqueue_broadcast_chunk(broadcast_id, first_id, last_id, *, at=None):
    """Have a worker send the broadcast's deliveries with ids ``first_id``..``last_id``."""
    _run(f"{__name__}.send_broadcast_chunk", broadcast_id, first_id, last_id, at=at)


def enqueue_start_broadcast(broadcast_id, *, at=None):
    """Have a worker start sending a scheduled broadcast at ``at``."""
    _run(f"{__name__}.start_broadcast", broadcast_id, at=at)


def _run(func, *args, at=None):
    if at is None:
        async_task(func, *args)
    else:
        schedule(func, *args, schedule_type=Schedule.ONCE, next_run=at)


def ensure_schedules(**kwargs):
    """Create the periodic tasks that are missing (after ``migrate``): ``recover_deliveries``
    and ``send_waiting_signups`` every 5 minutes, and ``poll_backends`` every minute while a
    configured backend needs polling (removed when none does any more)."""
    every(RECOVERY_SCHEDULE, "recover_deliveries", minutes=5)
    every(SIGNUP_SCHEDULE, "send_waiting_signups", minutes=5)
    if polling.polled_aliases():
        every(POLLING_SCHEDULE, "poll_backends", minutes=1)
    else:
        Schedule.objects.filter(name=POLLING_SCHEDULE).delete()


def every(name, task, *, minutes):
    Schedule.objects.get_or_create(
        name=name,
        defaults={
            "func": f"{__name__}.{task}",
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
        },
    )
