"""Open Graph and Twitter card metadata: what Facebook and X show when a page is shared."""

from html.parser import HTMLParser

import pytest
from django.utils import timezone

from .factories import ImageFactory, PostPageFactory, SectionPageFactory, SiteFactory

pytestmark = pytest.mark.django_db


class Meta(HTMLParser):
    """``<meta>`` values by property or name, and the canonical link, of a page."""

    def __init__(self, html):
        super().__init__()
        self.values = {}
        self.tags = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            key = attrs.get("property") or attrs["name"]
            self.values.setdefault(key, attrs["content"])
            if key == "article:tag":
                self.tags.append(attrs["content"])
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.values["canonical"] = attrs["href"]


def meta_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return Meta(response.content.decode())


@pytest.fixture
def home():
    return SiteFactory(
        site_name="Lembaga Bhinneka",
        root_page__title="Lembaga Bhinneka",
        root_page__short_description="Keberagaman untuk semua.",
        root_page__lead_image=ImageFactory(description="Diskusi di Reading Room"),
        root_page__twitter_url="https://x.com/LembagaBhinneka",
    ).root_page


@pytest.fixture
def section(home):
    return SectionPageFactory(parent=home, title="Berita", slug="berita")


def test_a_post_is_an_article_with_an_absolute_picture(client, section):
    post = PostPageFactory(
        parent=section,
        title="Pelatihan admin",
        summary="Admin belajar memverifikasi kontak SMS.",
        lead_image=ImageFactory(description="Admin di depan laptop"),
        tags=["sms", "pelatihan"],
    )
    meta = meta_of(client, post.url)

    assert meta.values["og:type"] == "article"
    assert meta.values["og:title"] == meta.values["twitter:title"] == "Pelatihan admin"
    assert meta.values["og:description"] == "Admin belajar memverifikasi kontak SMS."
    assert meta.values["description"] == meta.values["twitter:description"]
    assert (
        meta.values["og:url"]
        == meta.values["canonical"]
        == "http://testserver/berita/pelatihan-admin/"
    )
    assert meta.values["og:site_name"] == "Lembaga Bhinneka"
    image_url = meta.values["og:image"]
    assert image_url.startswith("http://testserver/")
    assert ".fill-1200x630" in image_url
    assert meta.values["twitter:image"] == image_url
    assert meta.values["og:image:alt"] == "Admin di depan laptop"
    assert meta.values["twitter:card"] == "summary_large_image"
    assert meta.values["twitter:site"] == "@LembagaBhinneka"
    assert meta.values["article:published_time"] == timezone.localtime(post.date).isoformat()
    assert meta.values["article:section"] == "Berita"
    assert sorted(meta.tags) == ["pelatihan", "sms"]


def test_a_post_without_picture_shares_the_homes_picture(client, section, home):
    post = PostPageFactory(parent=section)
    meta = meta_of(client, post.url)
    assert meta.values["og:image:alt"] == "Diskusi di Reading Room"
    assert meta.values["og:image"].startswith("http://testserver/")


def test_the_home_and_sections_are_websites(client, home, section):
    home_meta = meta_of(client, home.url)
    assert home_meta.values["og:type"] == "website"
    assert home_meta.values["og:description"] == "Keberagaman untuk semua."
    assert home_meta.values["canonical"] == "http://testserver/"

    section_meta = meta_of(client, section.url)
    assert section_meta.values["og:type"] == "website"
    assert section_meta.values["og:image"].startswith("http://testserver/")


def test_the_search_description_wins_over_the_summary(client, section):
    post = PostPageFactory(parent=section, search_description="Untuk mesin pencari.")
    assert meta_of(client, post.url).values["og:description"] == "Untuk mesin pencari."


def test_a_filtered_list_is_its_own_canonical_page(client, section):
    PostPageFactory(parent=section, tags=["sms"])
    meta = meta_of(client, section.url + "tag/sms/?page=1")
    assert meta.values["canonical"] == "http://testserver/berita/tag/sms/"


def test_without_any_picture_the_card_is_a_summary(client):
    home = SiteFactory(root_page__lead_image=None, root_page__logo=None).root_page
    post = PostPageFactory(parent__parent=home)
    meta = meta_of(client, post.url)
    assert meta.values["twitter:card"] == "summary"
    assert "og:image" not in meta.values
