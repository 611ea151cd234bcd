"""Every screen of the suite sits in its app's own menu, so an editor never has to look for it
under Wagtail's generic *Snippets*."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from wagtail.admin.menu import admin_menu

pytestmark = pytest.mark.django_db


def test_no_snippet_of_the_suite_is_left_under_snippets(django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "pw")
    request = RequestFactory().get(reverse("wagtailadmin_home"))
    request.user = admin

    names = [item.name for item in admin_menu.menu_items_for_request(request)]

    assert "snippets" not in names
    assert {"grantee-tools", "sms"} <= set(names)
