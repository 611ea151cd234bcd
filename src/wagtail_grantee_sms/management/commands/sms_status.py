"""``manage.py sms_status``: is the background worker sending the SMS? The diagnosis the admin
shows as a banner, for a developer."""

from django.core.management.base import BaseCommand

from wagtail_grantee_sms import background
from wagtail_grantee_sms.conf import get_setting


def duration(delta):
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class Command(BaseCommand):
    help = (
        "Show the SMS queue (queued, sending, to review), the SMS backends and the task "
        "broker, and say whether the background worker (manage.py qcluster) seems to run."
    )

    def handle(self, *args, **options):
        report = background.queue_report()
        write = self.stdout.write
        write("SMS backends:")
        for line in background.backends_description():
            write(f"  {line}")
        write(f"Task broker: {background.broker_description()}")
        queued = f"Queued: {report.queued}"
        if report.oldest_wait is not None:
            queued += f", the first due has waited {duration(report.oldest_wait)}"
        write(queued)
        write(f"Sending now: {report.sending}")
        write(f"Needs review: {report.review}")
        if report.worker_stopped:
            write(
                self.style.WARNING(
                    f"The background worker is not running: {report.overdue} SMS have been due "
                    f"for more than {get_setting('WORKER_WARNING_AFTER')} s. Start it with "
                    "`python manage.py qcluster` (see docs/sms-backends.md, "
                    '"The background worker").'
                )
            )
        else:
            write(self.style.SUCCESS("No SMS is waiting for the worker."))
        if report.review:
            write(
                f"{report.review} SMS need a person to check them with the provider: "
                'SMS > Deliveries, status "Needs review".'
            )
