"""Messages: what the suite sends (``Delivery``), what it receives (``InboundMessage``), and the
shared send rate of each backend (``SendRateBucket``)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import phones
from .contacts import Contact


class Delivery(models.Model):
    """One outgoing SMS to one number, from the moment it is queued to the provider's last word."""

    class Status(models.TextChoices):
        # The provider's statuses (``backends.base.DeliveryStatus``) plus two of the pipeline's.
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        REVIEW = "review", _("Needs review")
        ACCEPTED = "accepted", _("Accepted by the provider")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    class Purpose(models.TextChoices):
        VERIFICATION = "verification", _("Verification")
        OPT_OUT_CONFIRMATION = "opt_out_confirmation", _("Opt-out confirmation")
        OPT_IN_CONFIRMATION = "opt_in_confirmation", _("Opt-in confirmation")
        BROADCAST = "broadcast", _("Broadcast")
        OTHER = "other", _("Other")

    uuid = models.UUIDField(
        _("client reference"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Sent to the provider with the message, so it can recognise a resend."),
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    broadcast = models.ForeignKey(
        "wagtail_grantee_sms.Broadcast",
        verbose_name=_("broadcast"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    phone = models.CharField(_("phone number"), max_length=32)
    body = models.TextField(_("message"))
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose)
    backend_alias = models.CharField(_("SMS backend"), max_length=50, default="default")
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.QUEUED, db_index=True
    )
    provider_message_id = models.CharField(_("provider's message id"), max_length=128, blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    permanent_error = models.BooleanField(_("permanent error"), default=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(
        _("sending started at"),
        null=True,
        blank=True,
        help_text=_("When the last attempt took the message to hand it to the provider."),
    )
    answered_late_at = models.DateTimeField(
        _("provider answered late at"),
        null=True,
        blank=True,
        help_text=_(
            "When the provider's answer arrived after the message had been set aside for review."
        ),
    )
    segments = models.PositiveSmallIntegerField(_("segments"), null=True, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=5, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("SMS delivery")
        verbose_name_plural = _("SMS deliveries")
        indexes = [models.Index(fields=["backend_alias", "provider_message_id"])]
        constraints = [
            # A broadcast reaches each contact at most once, whatever happens to its workers.
            models.UniqueConstraint(
                fields=["broadcast", "contact"],
                condition=models.Q(broadcast__isnull=False),
                name="wagtail_grantee_sms_delivery_once_per_broadcast",
            )
        ]
        permissions = [
            ("resolve_delivery", _("Can resend or give up SMS deliveries that need review")),
        ]

    def __str__(self):
        return _("%(purpose)s to %(recipient)s") % {
            "purpose": self.get_purpose_display(),
            "recipient": self.contact.name if self.contact else self.masked_phone,
        }

    @property
    def masked_phone(self):
        return phones.mask(self.phone)


class UnmatchedDeliveryReport(models.Model):
    """A provider's status report that came before the answer to the send was recorded.

    A fast provider can report "delivered" (or "the number opted out") while the worker is
    still saving its answer. Such a report waits here and is applied as soon as the delivery
    knows its provider's message id (``sending``); what is still unmatched after
    ``UNMATCHED_REPORT_HOURS`` is deleted.
    """

    backend_alias = models.CharField(max_length=50)
    provider_message_id = models.CharField(max_length=128)
    reference = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    permanent_error = models.BooleanField(default=False)
    reason = models.CharField(max_length=32, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("unmatched status report")
        verbose_name_plural = _("unmatched status reports")
        indexes = [models.Index(fields=["backend_alias", "provider_message_id"])]

    def __str__(self):
        return f"{self.backend_alias}: {self.provider_message_id} {self.status}"


class InboundMessage(models.Model):
    """An SMS someone sent to one of the site's numbers: the inbox."""

    class Action(models.TextChoices):
        NONE = "", _("No action")  # the inbox's filter; the message itself shows "—"
        OPT_OUT = "opt_out", _("Opted out")
        OPT_IN = "opt_in", _("Opted back in")
        VERIFIED = "verified", _("Verified the contact")

    backend_alias = models.CharField(_("SMS backend"), max_length=50)
    sender = models.CharField(_("from"), max_length=32)
    to = models.CharField(_("to"), max_length=32, blank=True)
    body = models.TextField(_("message"), blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    provider_message_id = models.CharField(_("provider's message id"), max_length=128, blank=True)
    action = models.CharField(_("action taken"), max_length=16, choices=Action, blank=True)
    raw = models.JSONField(_("provider's payload"), default=dict, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("inbound SMS")
        verbose_name_plural = _("inbound SMS")
        constraints = [
            # A provider that delivers the same message twice gets it stored once.
            models.UniqueConstraint(
                fields=["backend_alias", "provider_message_id"],
                condition=~models.Q(provider_message_id=""),
                name="wagtail_grantee_sms_inbound_unique_provider_id",
            )
        ]

    def __str__(self):
        return _("SMS from %(sender)s") % {"sender": self.masked_sender}

    @property
    def masked_sender(self):
        return phones.mask(self.sender)

    def get_action_display(self):
        """What the message did, in words; "—" when it did nothing (not "None")."""
        if not self.action:
            return "—"
        return str(dict(self.Action.choices).get(self.action, self.action))


class SendRateBucket(models.Model):
    """A token bucket per backend alias, shared by every worker through the database.

    Used for ``RATE_LIMIT`` when the default cache is not Redis (see ``ratelimit.py``).
    """

    backend_alias = models.CharField(max_length=50, primary_key=True)
    tokens = models.FloatField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("send rate bucket")
        verbose_name_plural = _("send rate buckets")

    def __str__(self):
        return self.backend_alias
