"""A visitor who has never heard of RSS finds a "Follow by RSS" link in the footer, and a word
on what it is for, in English and in Indonesian."""

from html.parser import HTMLParser

import pytest

from tests.grantee.factories import PostPageFactory

pytestmark = pytest.mark.django_db


class Footer(HTMLParser):
    """The links (href, text) and the text of a page's ``<footer class="g-footer">``."""

    def __init__(self, html):
        super().__init__()
        self.depth = 0  # > 0 inside the footer
        self.links, self.text, self.href = [], [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "footer" and "g-footer" in (attrs.get("class") or ""):
            self.depth = 1
        elif self.depth and tag == "footer":
            self.depth += 1
        if self.depth and tag == "a":
            self.href = attrs.get("href")
            self.links.append([self.href, ""])

    def handle_endtag(self, tag):
        if self.depth and tag == "footer":
            self.depth -= 1
        if tag == "a":
            self.href = None

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)
            if self.href is not None:
                self.links[-1][1] += data

    @property
    def all_text(self):
        return " ".join(" ".join(self.text).split())


def footer(client, url, language="en"):
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == 200
    return Footer(response.content.decode())


def test_the_home_and_each_section_link_their_own_feed_in_the_footer(client, home, section):
    post = PostPageFactory(parent=section)
    for page, feed_page in ((home, home), (section, section), (post, section)):
        found = footer(client, page.url)

        assert [feed_page.feed_url("rss", full=True), "Follow by RSS"] in found.links
        assert "What is RSS?" in found.all_text
        assert "news reader app" in found.all_text
        assert feed_page.title in found.all_text


def test_the_link_and_its_explanation_are_in_indonesian(client, home, section):
    for page in (home, section):
        found = footer(client, page.url, language="id")

        assert [page.feed_url("rss", full=True), "Ikuti lewat RSS"] in found.links
        assert "Apa itu RSS?" in found.all_text
        assert "Follow by RSS" not in found.all_text


def test_the_feed_link_is_a_real_feed(client, section):
    PostPageFactory(parent=section, title="Kabar")
    [href] = [href for href, text in footer(client, section.url).links if text == "Follow by RSS"]

    response = client.get(href)

    assert response["Content-Type"].startswith("application/rss+xml")
    assert b"Kabar" in response.content
