"""Where ``wagtail_grantee_sms`` meets the Wagtail admin."""

from django.contrib import messages
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.log_actions import LogFormatter

from .bulk_actions import CONTACT_BULK_ACTIONS
from .checks import missing_required_apps


class ContactStatusFormatter(LogFormatter):
    """Shows a status change with the reason given for it, if any."""

    def format_comment(self, log_entry):
        return (log_entry.data or {}).get("reason", "")


CONTACT_STATUS_ACTIONS = {
    "wagtail_grantee_sms.opt_out": (_("Opt out"), _("Opted out")),
    "wagtail_grantee_sms.opt_in": (_("Opt in"), _("Opted back in by SMS")),
    "wagtail_grantee_sms.invalid": (_("Mark invalid"), _("Marked as an invalid number")),
    "wagtail_grantee_sms.verification_sent": (
        _("Send verification"),
        _("Verification SMS sent"),
    ),
    "wagtail_grantee_sms.verification_waiting": (
        _("Wait for the hourly limit"),
        _("Signed up; the verification SMS waits for the hourly limit"),
    ),
    "wagtail_grantee_sms.verified": (_("Verify"), _("Verified")),
    "wagtail_grantee_sms.block": (_("Block"), _("Blocked")),
    "wagtail_grantee_sms.unblock": (_("Unblock"), _("Unblocked, to be verified again")),
    "wagtail_grantee_sms.number_changed": (
        _("Change number"),
        _("Number changed, to be verified again"),
    ),
    "wagtail_grantee_sms.imported": (_("Import"), _("Imported")),
}


@hooks.register("register_log_actions")
def register_contact_log_actions(actions):
    for action, (label, message) in CONTACT_STATUS_ACTIONS.items():
        formatter = type(
            "Formatter", (ContactStatusFormatter,), {"label": label, "message": message}
        )
        actions.register_action(action)(formatter)


@hooks.register("register_log_actions")
def register_delivery_log_actions(actions):
    actions.register_action(
        "wagtail_grantee_sms.delivery_resend", _("Send again"), _("Checked and sent again")
    )
    actions.register_action(
        "wagtail_grantee_sms.delivery_give_up", _("Mark as failed"), _("Checked and marked failed")
    )
    actions.register_action(
        "wagtail_grantee_sms.delivery_accepted_late",
        _("Accepted late"),
        _("The provider accepted it after it was set aside for review"),
    )
    actions.register_action(
        "wagtail_grantee_sms.inbound_simulated",
        _("Simulate an incoming SMS"),
        _("Incoming SMS simulated"),
    )


@hooks.register("register_admin_viewset")
def register_sms_viewsets():
    if missing_required_apps():
        return []  # the screens need them; `manage.py check` names them (E001)
    from .viewsets import SMSViewSetGroup

    return SMSViewSetGroup()


for bulk_action in CONTACT_BULK_ACTIONS:
    hooks.register("register_bulk_action", bulk_action)


def ceiling_message(user):
    """The warning about the hourly ceiling on verification SMS for ``user``, or ""."""
    if not user.has_perm("wagtail_grantee_sms.change_contact"):
        return ""
    from . import ratelimit, signup

    ceiling = ratelimit.VerificationCeiling()
    waiting = signup.waiting().filter(contact__isnull=False).count()
    if not (ceiling.reached or waiting):
        return ""
    return ngettext(
        "The site sent %(count)d of its %(limit)d verification SMS of the last hour. "
        "%(waiting)d sign-up waits for its SMS, sent automatically from %(time)s. Many "
        "sign-ups at once may be someone spending your SMS credit: check the latest pending "
        "contacts, and block those you do not recognise.",
        "The site sent %(count)d of its %(limit)d verification SMS of the last hour. "
        "%(waiting)d sign-ups wait for their SMS, sent automatically from %(time)s. Many "
        "sign-ups at once may be someone spending your SMS credit: check the latest pending "
        "contacts, and block those you do not recognise.",
        waiting,
    ) % {
        "count": ceiling.count,
        "limit": ceiling.limit,
        "waiting": waiting,
        "time": timezone.localtime(ceiling.free_at).strftime("%H:%M"),
    }


class VerificationCeilingPanel(Component):
    """On the dashboard: verification SMS paused by ``VERIFICATION_SENDS_PER_HOUR_TOTAL``."""

    name = "wagtail_grantee_sms_verification_ceiling"
    template_name = "wagtail_grantee_sms/admin/ceiling_panel.html"
    order = 10

    def __init__(self, message):
        self.message = message

    def get_context_data(self, parent_context):
        return {"message": self.message}


@hooks.register("construct_homepage_panels")
def add_verification_ceiling_panel(request, panels):
    if message := ceiling_message(request.user):
        panels.append(VerificationCeilingPanel(message))


@hooks.register("construct_main_menu")
def warn_about_verification_ceiling(request, menu_items):
    # The menu is built before the page's messages are shown, so the warning appears on every
    # SMS screen while the ceiling holds.
    match = getattr(request, "resolver_match", None)
    if not match or not match.namespace.startswith("wagtailsnippets_wagtail_grantee_sms"):
        return
    if message := ceiling_message(request.user):
        messages.warning(request, message)


@hooks.register("register_admin_urls")
def register_simulate_inbound_url():
    from .simulate_views import URL_NAME, SimulateInboundView

    return [path("sms/simulate-incoming/", SimulateInboundView.as_view(), name=URL_NAME)]


class WorkerBannerPanel(Component):
    """On the dashboard: the warning of the SMS screens when no background worker runs."""

    name = "wagtail_grantee_sms_worker"
    template_name = "wagtail_grantee_sms/admin/worker_banner.html"
    order = 50  # above the lists: nothing is sent until it is solved

    def get_context_data(self, parent_context):
        from .templatetags.wagtail_grantee_sms_admin import worker_banner_context

        return worker_banner_context(parent_context["request"])


@hooks.register("construct_homepage_panels")
def add_worker_banner(request, panels):
    panels.append(WorkerBannerPanel())


class BroadcastPanel(Component):
    """On the dashboard: verified contacts, this month's SMS spend, the last broadcasts."""

    name = "wagtail_grantee_sms_broadcasts"
    template_name = "wagtail_grantee_sms/broadcasts/panel.html"
    order = 150

    def __init__(self, context):
        self.context = context

    def get_context_data(self, parent_context):
        return self.context


@hooks.register("construct_homepage_panels")
def add_broadcast_panel(request, panels):
    from .broadcast_views import dashboard_context

    if context := dashboard_context(request.user):
        panels.append(BroadcastPanel(context))


BROADCAST_LOG_ACTIONS = {
    "wagtail_grantee_sms.broadcast.create": (_("Create broadcast"), _("Broadcast drafted")),
    "wagtail_grantee_sms.broadcast.confirm": (_("Confirm broadcast"), _("Broadcast confirmed")),
    "wagtail_grantee_sms.broadcast.pause": (_("Pause broadcast"), _("Broadcast paused")),
    "wagtail_grantee_sms.broadcast.resume": (_("Resume broadcast"), _("Broadcast resumed")),
    "wagtail_grantee_sms.broadcast.cancel": (_("Cancel broadcast"), _("Broadcast cancelled")),
    "wagtail_grantee_sms.broadcast.retry": (
        _("Retry failed messages"),
        _("Failed messages of the broadcast queued again"),
    ),
}


@hooks.register("register_log_actions")
def register_broadcast_log_actions(actions):
    for action, (label, message) in BROADCAST_LOG_ACTIONS.items():
        actions.register_action(action, label, message)


@hooks.register("register_permissions")
def register_broadcast_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(
        content_type__app_label="wagtail_grantee_sms",
        codename__in=[
            "add_broadcast",
            "change_broadcast",
            "view_broadcast",
            "send_broadcast",
            "exceed_budget",
        ],
    )
