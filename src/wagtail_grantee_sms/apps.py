from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailGranteeSMSConfig(AppConfig):
    name = "wagtail_grantee_sms"
    label = "wagtail_grantee_sms"
    verbose_name = _("SMS")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from . import signal_handlers  # noqa: F401  (contacts: erasure, verification replies)
