"""Broadcasts: one text sent to the verified members of some contact groups.

A broadcast is composed as a draft, then confirmed: its recipients are frozen into
``Delivery`` rows (``Delivery.broadcast``, at most one per contact) and sent in chunks by the
background workers (``broadcasting.py``). Only a draft can be edited.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .contacts import ContactGroup


class Broadcast(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Done")

    body = models.TextField(
        _("message"),
        help_text=_("May contain {name}, {first_name} and {organisation}."),
    )
    bodies = models.JSONField(
        _("message by language"),
        default=dict,
        blank=True,
        help_text=_("Texts by language code; a contact whose language has none gets the message."),
    )
    groups = models.ManyToManyField(
        ContactGroup, verbose_name=_("groups"), related_name="broadcasts"
    )
    exclude_groups = models.ManyToManyField(
        ContactGroup,
        verbose_name=_("except the members of"),
        related_name="excluded_from_broadcasts",
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.DRAFT, db_index=True
    )
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    quiet_hours_start = models.TimeField(
        _("quiet hours from"),
        null=True,
        blank=True,
        help_text=_("Sending pauses during these hours (site time) and resumes after them."),
    )
    quiet_hours_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    segment_count = models.PositiveIntegerField(_("segments"), default=0)
    estimated_cost = models.DecimalField(
        _("estimated cost"), max_digits=14, decimal_places=5, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    backend_alias = models.CharField(_("SMS backend"), max_length=50, default="default")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        permissions = [
            ("send_broadcast", _("Can send, pause, resume, cancel and retry broadcasts")),
            ("exceed_budget", _("Can send broadcasts beyond the monthly budget")),
        ]

    def __str__(self):
        first_line = self.body.strip().splitlines()[0] if self.body.strip() else ""
        return first_line[:60] or str(_("Broadcast %(number)s") % {"number": self.pk})

    def save(self, *args, **kwargs):
        # The text and recipients of a confirmed broadcast are what was sent: read-only.
        if self.pk and not kwargs.get("update_fields"):
            saved = Broadcast.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if saved is not None and saved != self.Status.DRAFT:
                raise ValidationError(_("A confirmed broadcast cannot be changed."))
        super().save(*args, **kwargs)

    @property
    def editable(self):
        return self.status == self.Status.DRAFT

    def clean(self):
        super().clean()
        if not isinstance(self.bodies, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in self.bodies.items()
        ):
            raise ValidationError({"bodies": _("Texts by language must be language: text.")})
        if (self.quiet_hours_start is None) != (self.quiet_hours_end is None):
            raise ValidationError(
                {"quiet_hours_end": _("Give both the start and the end of the quiet hours.")}
            )


def _recipients_frozen(sender, instance, action, reverse, model, pk_set, **kwargs):
    """The groups of a confirmed broadcast are read-only too (also seen from a group)."""
    if not action.startswith("pre_"):
        return
    if reverse:
        # A group's broadcasts changed; a cleared group leaves its broadcasts' history as is
        # only when all of them are drafts.
        changed = Broadcast.objects.filter(
            pk__in=pk_set
            if pk_set is not None
            else sender.objects.filter(contactgroup=instance).values("broadcast")
        )
    else:
        changed = Broadcast.objects.filter(pk=instance.pk)
    if changed.exclude(status=Broadcast.Status.DRAFT).exists():
        raise ValidationError(_("A confirmed broadcast cannot be changed."))


models.signals.m2m_changed.connect(_recipients_frozen, sender=Broadcast.groups.through)
models.signals.m2m_changed.connect(_recipients_frozen, sender=Broadcast.exclude_groups.through)
