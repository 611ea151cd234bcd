from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class WagtailGranteeSMSConfig(AppConfig):
    name = "wagtail_grantee_sms"
    label = "wagtail_grantee_sms"
    verbose_name = _("SMS")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # registers the system checks

        if checks.missing_required_apps():
            return  # what follows needs them; `manage.py check` names them (E001)
        from . import (
            signal_handlers,  # noqa: F401  (contacts: erasure, verification replies)
            tasks,
        )
        from .permissions import register_permission_policies

        register_permission_policies()

        # The periodic recovery of interrupted deliveries exists once the tables do.
        post_migrate.connect(tasks.ensure_schedules, sender=self)
