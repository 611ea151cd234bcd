"""Where ``wagtail_grantee_sms`` meets the Wagtail admin."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
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


@hooks.register("register_admin_viewset")
def register_sms_viewsets():
    if missing_required_apps():
        return []  # the screens need them; `manage.py check` names them (E001)
    from .viewsets import SMSViewSetGroup

    return SMSViewSetGroup()


for bulk_action in CONTACT_BULK_ACTIONS:
    hooks.register("register_bulk_action", bulk_action)
