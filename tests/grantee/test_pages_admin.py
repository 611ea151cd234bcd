"""Editors at work: a post written in the admin, the read-only source fields, categories."""

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from wagtail_grantee.models import Category, PostPage

from .factories import CategoryFactory, PostPageFactory, SectionPageFactory

pytestmark = pytest.mark.django_db


def post_form(**fields):
    return nested_form_data(
        {
            "title": "Pelatihan admin",
            "slug": "pelatihan-admin",
            "date": "",
            "authors": "Hendra",
            "summary": "Admin belajar SMS.",
            "body": streamfield([("paragraph", rich_text("<p>Isi.</p>"))]),
            "tags": "sms, pelatihan",
            "comments": inline_formset([]),
            **fields,
        }
    )


def test_an_editor_publishes_a_post_and_it_gets_a_date(admin_client):
    section = SectionPageFactory()
    report = CategoryFactory(name="Laporan")
    url = reverse("wagtailadmin_pages:add", args=["wagtail_grantee", "postpage", section.pk])

    assert admin_client.get(url).status_code == 200
    form = post_form(**{"action-publish": "1"}) | {"categories": [report.pk]}
    response = admin_client.post(url, form)

    assert response.status_code == 302
    post = PostPage.objects.get(slug="pelatihan-admin")
    assert post.live and post.date == post.first_published_at
    assert list(post.categories.all()) == [report]
    assert sorted(post.tags.names()) == ["pelatihan", "sms"]
    assert list(section.get_posts()) == [post]


def test_source_fields_are_shown_but_not_editable(admin_client):
    post = PostPageFactory(
        source_name="Facebook", source_url="https://www.facebook.com/notes/1", source_id="1"
    )
    url = reverse("wagtailadmin_pages:edit", args=[post.pk])

    html = admin_client.get(url).content.decode()
    assert "https://www.facebook.com/notes/1" in html
    assert 'name="source_url"' not in html

    admin_client.post(
        url,
        post_form(
            title=post.title,
            slug=post.slug,
            source_url="https://example.com/forged",
            source_id="forged",
            **{"action-publish": "1"},
        ),
    )
    post.refresh_from_db()
    assert post.title == post.title and post.source_url == "https://www.facebook.com/notes/1"
    assert post.source_id == "1"
    assert post.summary == "Admin belajar SMS."  # the form was saved


def test_categories_are_a_snippet_with_a_slug_from_the_name(admin_client):
    response = admin_client.post(
        reverse("wagtailsnippets_wagtail_grantee_category:add"),
        {"name": "Kebebasan Pers", "slug": ""},
    )

    assert response.status_code == 302
    assert Category.objects.get().slug == "kebebasan-pers"
    listing = admin_client.get(reverse("wagtailsnippets_wagtail_grantee_category:list"))
    assert "Kebebasan Pers" in listing.content.decode()


def test_the_editor_offers_the_sites_languages_for_a_post(admin_client, settings):
    settings.LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
    post = PostPageFactory()

    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[post.pk])).content.decode()

    assert '<option value="en">English</option>' in html
    assert '<option value="id">Bahasa Indonesia</option>' in html


def test_the_editor_forms_of_a_home_and_a_section_open(admin_client):
    section = SectionPageFactory()
    home = section.get_parent()

    add_home = reverse(
        "wagtailadmin_pages:add", args=["wagtail_grantee", "granteehomepage", home.get_parent().pk]
    )
    add_section = reverse(
        "wagtailadmin_pages:add", args=["wagtail_grantee", "sectionpage", home.pk]
    )
    home_form = admin_client.get(add_home)

    assert home_form.status_code == 200
    assert "Organisation name" in home_form.content.decode()
    assert admin_client.get(add_section).status_code == 200
    assert admin_client.get(reverse("wagtailadmin_pages:edit", args=[home.pk])).status_code == 200


def test_an_editor_previews_a_new_post_and_an_edited_one(admin_client):
    section = SectionPageFactory()
    add_preview = reverse(
        "wagtailadmin_pages:preview_on_add", args=["wagtail_grantee", "postpage", section.pk]
    )
    form = post_form(title="Belum terbit", slug="belum-terbit") | {"categories": []}

    assert admin_client.post(add_preview, form).json()["is_valid"]
    response = admin_client.get(add_preview)
    assert response.status_code == 200
    assert "Belum terbit" in response.content.decode()

    post = PostPageFactory(parent=section)
    edit_preview = reverse("wagtailadmin_pages:preview_on_edit", args=[post.pk])
    form = post_form(title="Judul diubah", slug=post.slug)
    assert admin_client.post(edit_preview, form).json()["is_valid"]
    assert "Judul diubah" in admin_client.get(edit_preview).content.decode()
