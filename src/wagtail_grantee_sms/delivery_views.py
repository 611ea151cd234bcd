"""Admin views for deliveries marked for review: resend, or give up."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views import View

from . import sending
from .models import Delivery

RESOLVE_PERMISSION = "wagtail_grantee_sms.resolve_delivery"


class ResolveReviewView(View):
    """POST only: ``resend`` sends the delivery again, otherwise it is marked failed."""

    resend = False
    http_method_names = ["post"]

    def post(self, request, pk):
        if not request.user.has_perm(RESOLVE_PERMISSION):
            raise PermissionDenied
        delivery = get_object_or_404(Delivery, pk=pk)
        try:
            resolved = sending.resolve_review(delivery, resend=self.resend, user=request.user)
        except sending.BroadcastCancelled:
            messages.error(
                request,
                _(
                    "Its broadcast was cancelled, so this message is not sent again. "
                    "Mark it as failed instead."
                ),
            )
            return redirect(Delivery.snippet_viewset.get_url_name("inspect"), pk)
        if resolved:
            messages.success(
                request,
                _("The message is queued to be sent again.")
                if self.resend
                else _("The message is marked as failed."),
            )
        else:
            messages.error(request, _("This message does not need review (any more)."))
        return redirect(Delivery.snippet_viewset.get_url_name("inspect"), pk)


class ResendView(ResolveReviewView):
    resend = True
