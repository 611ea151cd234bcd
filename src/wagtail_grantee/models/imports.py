"""What imports leave behind: the history of imports, and which page came from which item."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportRun(models.Model):
    """One import of an archive into a section, from the admin or the command line."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    source = models.CharField(_("source"), max_length=50)
    archive_name = models.CharField(_("archive"), max_length=255)
    # Where the uploaded archive waits for the background import; emptied when it is done.
    archive_path = models.CharField(max_length=1000, blank=True, editable=False)
    parent = models.ForeignKey(
        "wagtail_grantee.SectionPage",
        verbose_name=_("section"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    publish = models.BooleanField(_("publish"), default=False)
    update = models.BooleanField(_("update changed notes"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    error = models.TextField(_("problem"), blank=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    images_added = models.PositiveIntegerField(_("images added"), default=0)
    report = models.JSONField(default=dict, blank=True, editable=False)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-started_at", "-pk"]
        default_permissions = ()
        permissions = [("import_posts", _("Can import posts"))]

    def __str__(self):
        return self.archive_name


class ImportedItem(models.Model):
    """The fingerprint of the archive item a post was made from, to tell a changed one."""

    page = models.OneToOneField(
        "wagtail_grantee.PostPage", on_delete=models.CASCADE, related_name="import_item"
    )
    fingerprint = models.CharField(max_length=64)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.page_id}: {self.fingerprint}"
