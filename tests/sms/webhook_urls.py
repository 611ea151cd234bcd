"""A URLconf with the webhook URL names the backends point providers to, for backend tests
that must not depend on the pipeline's views."""

from django.http import HttpResponse
from django.urls import include, path


def webhook(request, alias):
    return HttpResponse()


sms_patterns = (
    [
        path("webhooks/<str:alias>/status/", webhook, name="status-webhook"),
        path("webhooks/<str:alias>/inbound/", webhook, name="inbound-webhook"),
    ],
    "wagtail_grantee_sms",
)

urlpatterns = [path("grantee/sms/", include(sms_patterns))]
