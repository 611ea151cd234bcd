"""The "Grantee tools" menu: feed sources, the Facebook import and post categories in one
place, each shown only to a user who may use it."""

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from wagtail.admin.menu import admin_menu

pytestmark = pytest.mark.django_db

GROUP = "grantee-tools"
ITEMS = {
    "feed-sources": reverse("wagtailsnippets_wagtail_grantee_feedsource:list"),
    "import-facebook": reverse("wagtail_grantee_facebook_import:upload"),
    "post-categories": reverse("wagtailsnippets_wagtail_grantee_category:list"),
}


def main_menu(user):
    """The admin's main menu as ``user`` sees it: {name: item}."""
    request = RequestFactory().get(reverse("wagtailadmin_home"))
    request.user = user
    return request, {item.name: item for item in admin_menu.menu_items_for_request(request)}


def grantee_tools(user):
    """The items of the "Grantee tools" menu that ``user`` sees, {name: url}, or None."""
    request, menu = main_menu(user)
    group = menu.get(GROUP)
    if group is None:
        return None
    return {item.name: item.url for item in group.menu.menu_items_for_request(request)}


def user_with(django_user_model, *codenames):
    user = django_user_model.objects.create_user("editor", password="pw")
    user.user_permissions.add(*Permission.objects.filter(codename__in=("access_admin", *codenames)))
    return django_user_model.objects.get(pk=user.pk)  # without the cached permissions


def test_a_superuser_sees_the_three_tools_in_one_menu(django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "pw")

    _, menu = main_menu(admin)

    assert menu[GROUP].label in ("Grantee tools", "Alat mitra")
    assert list(grantee_tools(admin)) == ["feed-sources", "import-facebook", "post-categories"]
    assert grantee_tools(admin) == ITEMS
    assert not set(ITEMS) & set(menu)  # no longer top-level items of their own


def test_the_menu_is_in_indonesian(django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "pw")

    with translation.override("id"):
        request, menu = main_menu(admin)
        labels = [str(item.label) for item in menu[GROUP].menu.menu_items_for_request(request)]
        assert str(menu[GROUP].label) == "Alat mitra"
    assert labels == ["Sumber feed", "Impor dari Facebook", "Kategori tulisan"]


def test_an_importer_sees_only_the_import(django_user_model, client):
    importer = user_with(django_user_model, "import_posts")

    assert grantee_tools(importer) == {"import-facebook": ITEMS["import-facebook"]}
    client.force_login(importer)
    assert client.get(ITEMS["import-facebook"]).status_code == 200


def test_a_category_editor_sees_only_the_categories(django_user_model):
    editor = user_with(django_user_model, "add_category", "change_category")

    assert grantee_tools(editor) == {"post-categories": ITEMS["post-categories"]}


def test_an_editor_without_these_permissions_sees_no_grantee_tools(django_user_model, client):
    editor = user_with(django_user_model)

    assert grantee_tools(editor) is None
    client.force_login(editor)
    response = client.get(reverse("wagtailadmin_home"))
    html = response.content.decode()
    assert response.status_code == 200
    for url in ITEMS.values():
        assert url not in html
