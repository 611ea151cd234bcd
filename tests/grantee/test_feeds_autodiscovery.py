"""Feed autodiscovery: every grantee page's <head> names the feeds that carry it."""

import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from wagtail.models import Page

from tests.grantee.factories import (
    CategoryFactory,
    PostPageFactory,
)

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<link rel="alternate" type="([^"]+)" title="([^"]+)" href="([^"]+)">')
TYPES = {"feed": "application/rss+xml", "feed-atom": "application/atom+xml"}
TYPES["feed-json"] = "application/feed+json"


def head_links(client, url):
    response = client.get(url)
    assert response.status_code == 200
    head = response.content.decode().split("</head>")[0]
    return [(type_, href) for type_, _title, href in LINK.findall(head)]


def links_of(page, scope="", **kwargs):
    return [
        (type_, page.full_url + page.reverse_subpage(scope + name, kwargs=kwargs))
        for name, type_ in TYPES.items()
    ]


def test_a_post_names_its_sections_feeds_then_its_homes(client, home, section):
    post = PostPageFactory(parent=section)

    assert head_links(client, post.url) == links_of(section) + links_of(home)


def test_a_section_names_its_own_feeds_then_its_homes(client, home, section):
    assert head_links(client, section.url) == links_of(section) + links_of(home)


def test_a_home_names_its_feeds(client, home):
    assert head_links(client, home.url) == links_of(home)


def test_a_list_by_tag_or_category_names_its_feeds_first(client, home, section):
    PostPageFactory(parent=section, tags=["pemilu"], categories=[CategoryFactory(name="Laporan")])

    by_tag = head_links(client, section.url + "tag/pemilu/")
    by_category = head_links(client, section.url + "category/laporan/")

    assert by_tag[:3] == links_of(section, "tag-", tag="pemilu")
    assert by_tag[3:] == links_of(section) + links_of(home)
    assert by_category[:3] == links_of(section, "category-", category="laporan")


def test_a_host_template_gets_the_links_with_one_tag(home, section):
    post = PostPageFactory(parent=section)
    html = Template("{% load grantee_feeds %}{% feed_links page %}").render(
        Context({"page": post, "request": RequestFactory().get(post.url)})
    )

    assert [(t, h) for t, _title, h in LINK.findall(html)] == links_of(section) + links_of(home)
    assert ("application/rss+xml", "Latest posts from Berita (RSS)", links_of(section)[0][1]) in (
        LINK.findall(html)
    )


def test_a_page_outside_grantee_sections_gets_no_links(home):
    root = Page.get_first_root_node()
    assert (
        Template("{% load grantee_feeds %}{% feed_links page %}").render(Context({"page": root}))
        == ""
    )
