"""Bulk actions on the contacts listing: groups, verification and blocking.

Deleting is Wagtail's own snippet bulk delete; the erasure of the number from messages and
logs happens on every delete (see ``erasure.py``).
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.log_actions import LogContext
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from . import verification
from .forms import GroupChoiceForm, ReasonForm, SendVerificationForm
from .models import Contact, ContactNotVerifiable


class ContactBulkAction(SnippetBulkAction):
    models = [Contact]
    template_name = "wagtail_grantee_sms/contacts/bulk_action.html"
    permission = "change"
    confirm_text = ""

    def check_perm(self, contact):
        return self.permission_policy.user_has_permission_for_instance(
            self.request.user, self.permission, contact
        )

    def get_execution_context(self):
        return {**super().get_execution_context(), "user": self.request.user}

    def form_valid(self, form):
        with LogContext(user=self.request.user):
            return super().form_valid(form)

    @classmethod
    def execute_action(cls, objects, **kwargs):
        done = 0
        for contact in objects:
            try:
                done += bool(cls.act(contact, **kwargs))
            except (
                verification.TransitionNotAllowed,
                verification.VerificationError,
                ContactNotVerifiable,
            ):
                continue  # reported as "not changed" in the count
        return done, len(objects) - done

    def get_success_message(self, num_parent_objects, num_child_objects):
        message = self.success_message(num_parent_objects)
        if num_child_objects:
            message += " " + ngettext(
                "%(count)d contact was left as it was (its status or consent does not allow it).",
                "%(count)d contacts were left as they were (their status or consent does not "
                "allow it).",
                num_child_objects,
            ) % {"count": num_child_objects}
        return message


class GroupBulkAction(ContactBulkAction):
    form_class = GroupChoiceForm

    def get_execution_context(self):
        return {**super().get_execution_context(), "group": self.cleaned_form.cleaned_data["group"]}


class AddToGroupBulkAction(GroupBulkAction):
    display_name = _("Add to group")
    action_type = "add_to_group"
    aria_label = _("Add the selected contacts to a group")
    confirm_text = _("Add these contacts to the group:")

    @classmethod
    def act(cls, contact, *, group, **kwargs):
        contact.groups.add(group)
        return True

    def success_message(self, count):
        return ngettext(
            "%(count)d contact added to the group.", "%(count)d contacts added to the group.", count
        ) % {"count": count}


class RemoveFromGroupBulkAction(GroupBulkAction):
    display_name = _("Remove from group")
    action_type = "remove_from_group"
    aria_label = _("Remove the selected contacts from a group")
    confirm_text = _("Remove these contacts from the group:")

    @classmethod
    def act(cls, contact, *, group, **kwargs):
        contact.groups.remove(group)
        return True

    def success_message(self, count):
        return ngettext(
            "%(count)d contact removed from the group.",
            "%(count)d contacts removed from the group.",
            count,
        ) % {"count": count}


class SendVerificationBulkAction(ContactBulkAction):
    display_name = _("Send verification")
    action_type = "send_verification"
    aria_label = _("Send a verification SMS to the selected contacts")
    confirm_text = _(
        "Send a verification SMS to these contacts? Verified, opted-out, blocked and invalid "
        "contacts are skipped."
    )
    form_class = SendVerificationForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "methods": verification.allowed_methods()}

    def get_execution_context(self):
        return {
            **super().get_execution_context(),
            "method": self.cleaned_form.cleaned_data["method"],
        }

    @classmethod
    def act(cls, contact, *, method, user, **kwargs):
        return verification.start_verification(contact, method, user=user)

    def success_message(self, count):
        return ngettext(
            "Verification SMS queued for %(count)d contact.",
            "Verification SMS queued for %(count)d contacts.",
            count,
        ) % {"count": count}


class BlockBulkAction(ContactBulkAction):
    display_name = _("Block")
    action_type = "block"
    aria_label = _("Block the selected contacts")
    confirm_text = _("Block these contacts? No SMS will be sent to them.")
    form_class = ReasonForm
    classes = {"serious"}

    def get_execution_context(self):
        return {
            **super().get_execution_context(),
            "reason": self.cleaned_form.cleaned_data["reason"],
        }

    @classmethod
    def act(cls, contact, *, user, reason, **kwargs):
        return verification.block(contact, user, reason=reason)

    def success_message(self, count):
        return ngettext("%(count)d contact blocked.", "%(count)d contacts blocked.", count) % {
            "count": count
        }


CONTACT_BULK_ACTIONS = [
    AddToGroupBulkAction,
    RemoveFromGroupBulkAction,
    SendVerificationBulkAction,
    BlockBulkAction,
]
