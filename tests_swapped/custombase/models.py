from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.models import AbstractPage


class CustomBasePage(AbstractPage):
    """The host site's base page: every page of the site, grantee pages too, has an audience."""

    audience = models.CharField(max_length=100, blank=True)

    promote_panels = AbstractPage.promote_panels + [FieldPanel("audience")]
