"""The grantee page types in a host site whose base page model is ``CustomBasePage``."""

import pytest
import swapper
from django.urls import reverse
from wagtail.models import Page as WagtailPage

from tests.grantee.factories import (
    ImageFactory,
    PostPageFactory,
    SectionPageFactory,
    SiteFactory,
)
from tests_swapped.custombase.models import CustomBasePage
from wagtail_grantee.models import GranteeHomePage, PostPage, SectionPage

pytestmark = pytest.mark.django_db


def test_the_site_runs_on_the_custom_base_page_model():
    assert swapper.load_model("wagtailcore", "Page") is CustomBasePage
    assert WagtailPage._meta.swapped == "custombase.CustomBasePage"


@pytest.mark.parametrize("page_model", [GranteeHomePage, SectionPage, PostPage])
def test_grantee_pages_extend_the_custom_base_page(page_model):
    assert issubclass(page_model, CustomBasePage)
    assert page_model._meta.get_field("custombasepage_ptr").related_model is CustomBasePage
    assert "audience" in {field.name for field in page_model._meta.get_fields()}


def test_pages_are_created_in_the_tree_and_published():
    home = SiteFactory(root_page__audience="donors").root_page
    section = SectionPageFactory(parent=home)
    post = PostPageFactory(parent=section, live=False, date=None, audience="volunteers")

    post.save_revision().publish()
    post.refresh_from_db()

    assert post.live and post.date == post.first_published_at
    assert list(home.get_posts()) == [post]
    assert CustomBasePage.objects.get(pk=post.pk).specific == post
    assert CustomBasePage.objects.get(pk=home.pk).audience == "donors"


def test_pages_render_with_their_metadata(client):
    home = SiteFactory(root_page__lead_image=ImageFactory()).root_page
    section = SectionPageFactory(parent=home)
    post = PostPageFactory(parent=section, tags=["sms"])

    for page in (home, section, post):
        response = client.get(page.url)
        assert response.status_code == 200
        assert post.title in response.content.decode()
    assert 'property="og:type" content="article"' in client.get(post.url).content.decode()
    assert client.get(section.url + "tag/sms/").context["posts"][0] == post


def test_a_copy_gets_a_new_guid():
    post = PostPageFactory()
    copy = post.copy(update_attrs={"slug": "salinan"})
    assert copy.guid != post.guid


def test_editors_open_the_post_form(admin_client):
    section = SectionPageFactory()
    url = reverse("wagtailadmin_pages:add", args=["wagtail_grantee", "postpage", section.pk])

    response = admin_client.get(url)

    assert response.status_code == 200
    assert 'name="audience"' in response.content.decode()  # the custom base page's field


def test_the_sms_sign_up_page_extends_the_custom_base_page_and_serves_its_form(client):
    from wagtail_grantee_sms.models import SignupPage

    home = SiteFactory().root_page
    signup = home.add_child(
        instance=SignupPage(title="Dukung kami", consent_text="<p>Saya setuju.</p>")
    )

    assert issubclass(SignupPage, CustomBasePage)
    assert CustomBasePage.objects.get(pk=signup.pk).specific == signup
    response = client.get(signup.url)
    assert response.status_code == 200
    assert "Saya setuju." in response.content.decode()
