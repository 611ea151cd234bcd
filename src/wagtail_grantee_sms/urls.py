"""URLs of ``wagtail_grantee_sms`` (namespace ``wagtail_grantee_sms``)."""

from django.urls import path

from . import webhooks

app_name = "wagtail_grantee_sms"

urlpatterns = [
    # Give these to the provider, e.g. https://example.org/grantee/sms/webhooks/default/status/
    path("webhooks/<str:alias>/status/", webhooks.status_webhook, name="status-webhook"),
    path("webhooks/<str:alias>/inbound/", webhooks.inbound_webhook, name="inbound-webhook"),
]
