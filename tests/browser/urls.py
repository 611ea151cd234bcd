"""The test URLs plus the SMS app's webhooks, as a site mounts them."""

from django.urls import include, path

from tests.urls import urlpatterns as test_urlpatterns

urlpatterns = [path("grantee/sms/", include("wagtail_grantee_sms.urls")), *test_urlpatterns]
