"""The suite's URLconf: one ``include("wagtail_grantee.urls")`` in a site's ``urls.py``.

It serves the grantee app's own URLs and, when ``wagtail_grantee_sms`` is installed, the SMS
app's under ``sms/``. The SMS app is included by its dotted name, so neither app imports the
other and a site can install either alone (a site with only the SMS app includes
``wagtail_grantee_sms.urls`` itself). This module has no namespace of its own, so each app's
URL names keep theirs, for example ``wagtail_grantee_sms:status-webhook``.
"""

from django.apps import apps
from django.urls import include, path

urlpatterns = []

if apps.is_installed("wagtail_grantee_sms"):
    urlpatterns += [path("sms/", include("wagtail_grantee_sms.urls"))]
