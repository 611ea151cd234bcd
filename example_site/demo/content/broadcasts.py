"""One broadcast sent to the volunteers last week, with its deliveries, so that the broadcast
history, a broadcast's page and the dashboard panel have something to show.

The deliveries are frozen by the same function a confirmation uses; their answers are written
as a provider would have given them (no SMS is sent while the demo loads).
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from wagtail_grantee_sms import broadcasting
from wagtail_grantee_sms.models import Broadcast, ContactGroup, Delivery

BODY = (
    "Halo {first_name}, {organisation} mengundang relawan ke rapat persiapan pelatihan "
    "jurnalisme warga, Sabtu pukul 09.00 di kantor. Balas STOP untuk berhenti."
)
BODY_EN = (
    "Hi {first_name}, {organisation} invites volunteers to prepare the citizen journalism "
    "training, Saturday 9:00 at the office. Reply STOP to stop."
)
PRICE = Decimal("350")


def load(log):
    if Broadcast.objects.filter(body=BODY).exists():
        log("Broadcast: already there.")
        return
    volunteers = ContactGroup.objects.get(name="Relawan")
    broadcast = broadcasting.create_broadcast(BODY, [volunteers], bodies={"en": BODY_EN})
    confirmed_at = timezone.now() - timedelta(days=6, hours=3)
    count, segments = broadcasting.freeze_recipients(broadcast, [volunteers], [])
    Broadcast.objects.filter(pk=broadcast.pk).update(
        status=Broadcast.Status.DONE,
        confirmed_at=confirmed_at,
        finished_at=confirmed_at + timedelta(minutes=2),
        recipient_count=count,
        segment_count=segments,
        estimated_cost=PRICE * segments,
        currency="IDR",
    )
    deliveries = list(broadcast.deliveries.order_by("pk"))
    for index, delivery in enumerate(deliveries):
        delivery.attempts = 1
        delivery.sent_at = confirmed_at + timedelta(seconds=2 * index)
        delivery.segments = 2 if len(delivery.body) > 160 else 1
        delivery.price, delivery.currency = PRICE * delivery.segments, "IDR"
        delivery.provider_message_id = f"demo-{broadcast.pk}-{index}"
        # Most arrived; the network had not confirmed one yet; one number was switched off.
        delivery.status = Delivery.Status.DELIVERED
        if index == len(deliveries) - 2:
            delivery.status = Delivery.Status.ACCEPTED
        if index == len(deliveries) - 1:
            delivery.status = Delivery.Status.FAILED
            delivery.error_code, delivery.error_message = "30003", "Unreachable handset"
            delivery.price = None
    Delivery.objects.bulk_update(
        deliveries,
        [
            "attempts",
            "sent_at",
            "segments",
            "price",
            "currency",
            "provider_message_id",
            "status",
            "error_code",
            "error_message",
        ],
    )
    log(f"Broadcast: 1 sent to {count} volunteers.")
