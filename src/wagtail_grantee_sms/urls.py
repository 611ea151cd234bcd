"""URLs of ``wagtail_grantee_sms`` (namespace ``wagtail_grantee_sms``)."""

app_name = "wagtail_grantee_sms"

urlpatterns = []
