from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class WagtailGranteeConfig(AppConfig):
    name = "wagtail_grantee"
    label = "wagtail_grantee"
    verbose_name = _("Grantee")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # registers the system checks

        if checks.missing_required_apps():
            return  # what follows needs them; `manage.py check` names them (E001)
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()

        from . import tasks

        # The aggregator's periodic fetch exists once the tables do.
        post_migrate.connect(tasks.ensure_schedules, sender=self)
