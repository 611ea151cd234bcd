"""What a visitor gets from the grantee pages: lists, filters, pagination, accessible HTML."""

import datetime
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from .factories import (
    AggregatorPageFactory,
    CategoryFactory,
    ImageFactory,
    PostPageFactory,
    SectionPageFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


class Elements(HTMLParser):
    """The start tags of a document, as (tag, attributes) pairs."""

    def __init__(self, html):
        super().__init__()
        self.tags = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag, **attrs):
        return [
            found
            for name, found in self.tags
            if name == tag and all(found.get(key) == value for key, value in attrs.items())
        ]


@pytest.fixture
def home():
    return SiteFactory(
        root_page__lead_image=ImageFactory(),
        root_page__logo=ImageFactory(),
        root_page__mission="<p>Keberagaman tanpa kekerasan.</p>",
        root_page__region="Surabaya, Jawa Timur",
        root_page__grant_programme="Cipta Media Bersama",
        root_page__facebook_url="https://www.facebook.com/lembagabhinneka",
        root_page__donation_bank_details="Bank Contoh\nLembaga Bhinneka\n123-456-789",
        root_page__donation_url="https://example.org/donasi",
    ).root_page


@pytest.fixture
def section(home):
    return SectionPageFactory(parent=home, title="Berita", slug="berita")


def titles(response):
    return [post.title for post in response.context["posts"]]


def newest_first(section, count, **kwargs):
    now = timezone.now()
    return [
        PostPageFactory(parent=section, date=now - datetime.timedelta(days=n), **kwargs)
        for n in range(count)
    ]


class TestHome:
    def test_shows_the_profile_the_latest_posts_and_the_donation_block(self, client, home, section):
        posts = newest_first(section, 3)
        response = client.get(home.url)
        html = response.content.decode()

        assert response.status_code == 200
        assert [post.title for post in response.context["latest_posts"]] == [
            post.title for post in posts
        ]
        for text in [
            "Keberagaman tanpa kekerasan",
            "Surabaya, Jawa Timur",
            "Cipta Media Bersama",
            "123-456-789",
            "https://example.org/donasi",
            "https://www.facebook.com/lembagabhinneka",
        ]:
            assert text in html

    def test_shows_as_many_latest_posts_as_configured(self, client, home, section, settings):
        settings.WAGTAIL_GRANTEE = {"HOME_LATEST_POSTS": 2}
        newest_first(section, 4)
        assert len(client.get(home.url).context["latest_posts"]) == 2

    def test_no_donation_block_without_bank_details_or_link(self, client, home):
        home.donation_bank_details = home.donation_url = ""
        home.save()
        assert 'id="donate-heading"' not in client.get(home.url).content.decode()


class TestSectionList:
    def test_paginates_newest_first(self, client, section, settings):
        settings.WAGTAIL_GRANTEE = {"POSTS_PER_PAGE": 2}
        posts = newest_first(section, 5)

        assert titles(client.get(section.url)) == [posts[0].title, posts[1].title]
        assert titles(client.get(section.url, {"page": 2})) == [posts[2].title, posts[3].title]
        last = client.get(section.url, {"page": 3})
        assert titles(last) == [posts[4].title]
        assert 'rel="next"' not in last.content.decode()

    @pytest.mark.parametrize("page, shown", [("99", 3), ("abc", 1), ("-1", 3)])
    def test_a_bad_page_number_shows_a_page_not_an_error(
        self, client, section, settings, page, shown
    ):
        settings.WAGTAIL_GRANTEE = {"POSTS_PER_PAGE": 2}
        newest_first(section, 5)
        response = client.get(section.url, {"page": page})
        assert response.status_code == 200
        assert response.context["posts"].number == shown

    def test_filters_by_tag(self, client, section):
        tagged = PostPageFactory(parent=section, tags=["jurnalisme warga"])
        PostPageFactory(parent=section, tags=["lain"])

        response = client.get(section.url + "tag/jurnalisme-warga/")

        assert titles(response) == [tagged.title]
        assert "jurnalisme warga" in response.content.decode()

    def test_filters_by_category(self, client, section):
        report = CategoryFactory(name="Laporan")
        in_category = PostPageFactory(parent=section, categories=[report])
        PostPageFactory(parent=section)

        assert titles(client.get(section.url + "category/laporan/")) == [in_category.title]

    def test_the_home_filters_across_its_sections(self, client, home, section):
        other = SectionPageFactory(parent=home)
        report = CategoryFactory(name="Laporan")
        first = PostPageFactory(parent=section, categories=[report])
        second = PostPageFactory(parent=other, categories=[report])

        assert set(titles(client.get(home.url + "category/laporan/"))) == {
            first.title,
            second.title,
        }

    @pytest.mark.parametrize("path", ["tag/tidak-ada/", "category/tidak-ada/"])
    def test_unknown_tag_or_category_is_not_found(self, client, section, path):
        assert client.get(section.url + path).status_code == 404

    def test_queries_do_not_grow_with_the_number_of_posts(self, client, section):
        newest_first(section, 2, lead_image=ImageFactory())
        client.get(section.url)  # creates the renditions

        with CaptureQueriesContext(connection) as few:
            client.get(section.url)
        newest_first(section, 4, lead_image=ImageFactory())
        client.get(section.url)
        with CaptureQueriesContext(connection) as more:
            client.get(section.url)

        assert len(more) == len(few)


class TestAccessibleHtml:
    @pytest.fixture
    def post(self, section):
        return PostPageFactory(
            parent=section,
            lead_image=ImageFactory(description="Peserta pelatihan admin"),
            body=[
                ("heading", "Pelatihan admin"),
                ("paragraph", "<p>Admin memasukkan 50 kontak.</p>"),
                (
                    "image",
                    {
                        "image": {
                            "image": ImageFactory(),
                            "alt_text": "Hendra mengajar",
                            "decorative": False,
                        },
                        "caption": "Hari kedua",
                    },
                ),
                ("quote", {"text": "RSS itu penting.", "attribution": "Siska"}),
            ],
            tags=["admin"],
            categories=[CategoryFactory(name="Mentoring")],
        )

    def pages(self, home, section, post):
        return [home.url, section.url, post.url, section.url + "tag/admin/"]

    def test_landmarks_skip_link_and_language(self, client, home, section, post):
        for url in self.pages(home, section, post):
            elements = Elements(client.get(url, headers={"accept-language": "id"}).content.decode())
            assert elements.find("html", lang="id"), url
            assert elements.find("a", href="#main"), url
            assert elements.find("main", id="main"), url
            assert elements.find("header") and elements.find("footer"), url
            assert elements.find("nav"), url
            assert len(elements.find("h1")) == 1, url

    def test_every_image_has_alt_text(self, client, home, section, post):
        for url in self.pages(home, section, post):
            images = Elements(client.get(url).content.decode()).find("img")
            assert images, url
            assert all("alt" in image for image in images), url

        post_images = Elements(client.get(post.url).content.decode()).find("img")
        assert {image["alt"] for image in post_images} >= {
            "Peserta pelatihan admin",
            "Hendra mengajar",
        }

    def test_images_are_responsive_renditions(self, client, post):
        [lead] = Elements(client.get(post.url).content.decode()).find(
            "img", alt="Peserta pelatihan admin"
        )
        assert lead["srcset"].count("w,") == 2
        assert "sizes" in lead
        assert "/images/" in lead["src"]

    def test_post_shows_its_terms_as_links_to_the_section_lists(self, client, section, post):
        html = client.get(post.url).content.decode()
        assert 'href="/berita/category/mentoring/"' in html
        assert 'href="/berita/tag/admin/"' in html
        assert "Siska Doviana" in html

    def test_imported_post_links_to_its_original(self, client, section):
        post = PostPageFactory(
            parent=section,
            source_name="Facebook",
            source_url="https://www.facebook.com/notes/123",
            source_id="123",
        )
        assert 'href="https://www.facebook.com/notes/123"' in client.get(post.url).content.decode()

    def test_a_post_in_another_language_says_so(self, client, section):
        post = PostPageFactory(parent=section, title="Our notes move home", language="en")

        for url in [post.url, section.url]:
            elements = Elements(client.get(url, headers={"accept-language": "id"}).content.decode())
            assert elements.find("html", lang="id"), url
            assert elements.find("article", lang="en"), url


def test_titles_name_the_organisation(client, home, section):
    post = PostPageFactory(parent=section, title="Pelatihan admin")

    assert f"<title>{home.title}</title>" in client.get(home.url).content.decode()
    assert f"<title>Berita · {home.title}</title>" in client.get(section.url).content.decode()
    assert f"<title>Pelatihan admin · {home.title}</title>" in client.get(post.url).content.decode()


class TestFilterLinks:
    def test_a_section_links_to_the_categories_and_tags_of_its_posts(self, client, home, section):
        PostPageFactory(parent=section, tags=["sms"], categories=[CategoryFactory(name="Laporan")])
        other = SectionPageFactory(parent=home)
        PostPageFactory(parent=other, tags=["lain"], categories=[CategoryFactory(name="Acara")])
        PostPageFactory(parent=section, live=False, tags=["draf"])

        html = client.get(section.url).content.decode()

        assert 'href="/berita/category/laporan/"' in html
        assert 'href="/berita/tag/sms/"' in html
        assert "/category/acara/" not in html
        assert "/tag/lain/" not in html and "/tag/draf/" not in html

    def test_the_current_filter_is_marked(self, client, section):
        PostPageFactory(parent=section, tags=["sms", "rss"])

        elements = Elements(client.get(section.url + "tag/sms/").content.decode())

        assert elements.find("a", href="/berita/tag/sms/", **{"aria-current": "page"})
        assert not elements.find("a", href="/berita/tag/rss/", **{"aria-current": "page"})


def test_the_header_lists_the_sections_and_the_pages_shown_in_menus(client, home, section):
    AggregatorPageFactory(parent=home, title="Kabar mitra", slug="kabar", show_in_menus=True)
    AggregatorPageFactory(parent=home, title="Arsip lama", slug="arsip", show_in_menus=False)
    SectionPageFactory(parent=home, title="Draf", slug="draf", live=False)

    html = client.get(section.url).content.decode()
    nav = html[html.index('<nav class="g-nav"') : html.index("</nav>")]

    assert "Berita" in nav and "Kabar mitra" in nav
    assert "Arsip lama" not in nav and "Draf" not in nav
    assert 'aria-current="page">Berita' in nav
