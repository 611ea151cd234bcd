"""Feed caching as an aggregator and a CDN see it: validators, 304s, invalidation, purges."""

import datetime
from unittest import mock

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.contrib.frontend_cache.backends.base import BaseBackend
from wagtail.models import PageViewRestriction, Site

from tests.grantee.factories import PostPageFactory, SectionPageFactory
from tests.grantee.paths import feed_path, use_feed_cache_middleware
from wagtail_grantee.feeds.building import Feed
from wagtail_grantee.feeds.caching import get_feed_version

pytestmark = pytest.mark.django_db

FRONTEND_CACHE_APP = "wagtail.contrib.frontend_cache"


class RecordingBackend(BaseBackend):
    """A front-end cache that remembers what it was told to purge."""

    purged = []

    def purge(self, url):
        self.purged.append(url)


@pytest.fixture
def post(section):
    return publish(PostPageFactory(parent=section, title="Mentoring"))


def publish(page):
    page.save_revision().publish()
    page.refresh_from_db()
    return page


@pytest.fixture
def no_rendering():
    """Fail the test if a feed is rendered."""
    with mock.patch.object(Feed, "render", side_effect=AssertionError("rendered")) as render:
        yield render


@pytest.mark.parametrize("name", ["feed", "feed-atom", "feed-json"])
def test_every_feed_has_validators_and_a_repeated_conditional_get_is_304(
    client, section, post, name
):
    first = client.get(feed_path(section, name))
    assert first["ETag"].startswith('"')
    assert first["Last-Modified"].endswith("GMT")

    with mock.patch.object(Feed, "render", side_effect=AssertionError("rendered")):
        by_etag = client.get(feed_path(section, name), headers={"if-none-match": first["ETag"]})
        by_date = client.get(
            feed_path(section, name), headers={"if-modified-since": first["Last-Modified"]}
        )

    assert by_etag.status_code == 304
    assert by_etag["ETag"] == first["ETag"]
    assert by_etag.content == b""
    assert by_date.status_code == 304


def test_a_repeated_request_is_served_from_the_cache(client, section, post, no_rendering):
    no_rendering.side_effect = None
    no_rendering.return_value = b"<rss/>"
    first = client.get(feed_path(section))
    second = client.get(feed_path(section))

    assert no_rendering.call_count == 1
    assert second.content == first.content


def test_the_feed_is_identical_after_the_cache_is_emptied(client, section, post):
    from django.core.cache import cache

    first = client.get(feed_path(section))
    cache.clear()
    second = client.get(feed_path(section))

    assert second.content == first.content  # lastBuildDate comes from the content, not now()
    assert b"<lastBuildDate>" in second.content


def test_publishing_gives_a_new_etag_and_a_full_response(client, section, post):
    first = client.get(feed_path(section))

    publish(PostPageFactory(parent=section, title="Kabar baru", live=False))
    again = client.get(feed_path(section), headers={"if-none-match": first["ETag"]})

    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert b"Kabar baru" in again.content


def unpublish(post, section, home):
    post.unpublish()


def move(post, section, home):
    post.move(SectionPageFactory(parent=home), pos="last-child")


def delete(post, section, home):
    post.delete()


def retitle(post, section, home):
    post.title = "Mentoring (revised)"
    publish(post)


@pytest.mark.parametrize("change", [unpublish, move, delete, retitle])
def test_changes_under_a_feed_invalidate_its_cached_copy(client, home, section, post, change):
    before = {page.pk: client.get(feed_path(page)) for page in (section, home)}
    versions = {page.pk: get_feed_version(page) for page in (section, home)}

    change(post, section, home)

    for page in (section, home):
        assert get_feed_version(page) != versions[page.pk]
        response = client.get(feed_path(page), headers={"if-none-match": before[page.pk]["ETag"]})
        assert response.status_code == 200
    section_feed = client.get(feed_path(section)).content
    if change is retitle:
        assert b"Mentoring (revised)" in section_feed
    else:
        assert b"Mentoring" not in section_feed


@pytest.mark.parametrize("middleware", [False, True], ids=["routing", "middleware"])
def test_a_renamed_home_gives_its_sections_feeds_a_new_etag(
    client, settings, home, section, post, middleware
):
    if middleware:
        use_feed_cache_middleware(settings)
    first = client.get(feed_path(section))

    home.title = "Lembaga Baru"
    publish(home)
    again = client.get(feed_path(section), headers={"if-none-match": first["ETag"]})

    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert b"Lembaga Baru" in again.content  # the channel's author


def test_a_moved_post_appears_in_its_new_sections_feed(client, home, section, post):
    target = SectionPageFactory(parent=home)
    client.get(feed_path(target))

    post.move(target, pos="last-child")

    assert b"Mentoring" in client.get(feed_path(target)).content


def test_publishing_purges_the_feeds_from_the_frontend_cache(
    home, section, post, monkeypatch, django_capture_on_commit_callbacks
):
    # As if the site listed wagtail.contrib.frontend_cache in INSTALLED_APPS (re-populating
    # the app registry in a test is not possible here).
    is_installed = apps.is_installed
    monkeypatch.setattr(
        apps, "is_installed", lambda name: name == FRONTEND_CACHE_APP or is_installed(name)
    )
    RecordingBackend.purged.clear()
    post.tags.add("pemilu")
    with (
        override_settings(
            WAGTAILFRONTENDCACHE={"recording": {"BACKEND": f"{__name__}.RecordingBackend"}}
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        publish(post)

    for page in (section, home):
        for name in ("feed", "feed-atom", "feed-json"):
            assert page.full_url + page.reverse_subpage(name) in RecordingBackend.purged
    assert section.full_url + section.reverse_subpage("tag-feed", kwargs={"tag": "pemilu"}) in (
        RecordingBackend.purged
    )


def test_without_the_frontend_cache_app_nothing_is_purged(section, post):
    with mock.patch(
        "wagtail.contrib.frontend_cache.utils.purge_urls_from_cache"
    ) as purge_urls_from_cache:
        publish(post)

    purge_urls_from_cache.assert_not_called()


@pytest.fixture
def feed_cache_middleware(settings):
    use_feed_cache_middleware(settings)


@pytest.mark.usefixtures("feed_cache_middleware")
class TestFeedCacheMiddleware:
    def test_repeated_requests_are_answered_without_a_query(
        self, client, section, post, django_assert_num_queries
    ):
        first = client.get(feed_path(section, "feed-atom"))

        with django_assert_num_queries(0):
            again = client.get(feed_path(section, "feed-atom"))
            not_modified = client.get(
                feed_path(section, "feed-atom"), headers={"if-none-match": first["ETag"]}
            )

        assert again.content == first.content
        assert again["Content-Type"] == "application/atom+xml; charset=utf-8"
        assert again["Content-Length"] == str(len(first.content))
        assert not_modified.status_code == 304
        assert not_modified["ETag"] == first["ETag"]

    @pytest.mark.parametrize("change", [unpublish, move, delete, retitle])
    def test_no_stale_feed_is_served_after_a_change(self, client, home, section, post, change):
        client.get(feed_path(section))

        change(post, section, home)

        if change is retitle:
            assert b"Mentoring (revised)" in client.get(feed_path(section)).content
        else:
            assert b"Mentoring" not in client.get(feed_path(section)).content

    def test_a_private_feed_is_never_served_from_the_cache(
        self, client, section, post, django_user_model
    ):
        PageViewRestriction.objects.create(page=section, restriction_type="login")
        client.force_login(django_user_model.objects.create_user("editor"))
        assert client.get(feed_path(section)).status_code == 200

        client.logout()

        assert client.get(feed_path(section)).status_code == 302

    def test_a_feed_made_private_leaves_the_cache(self, client, section, post):
        assert client.get(feed_path(section)).status_code == 200

        PageViewRestriction.objects.create(page=section, restriction_type="login")

        assert client.get(feed_path(section)).status_code == 302

    def test_a_feed_a_reader_gave_the_password_for_is_not_served_to_others(
        self, client, home, section, post
    ):
        restriction = PageViewRestriction.objects.create(
            page=home, restriction_type="password", password="rahasia"
        )
        client.post(
            reverse("wagtailcore_authenticate_with_password", args=[restriction.pk, section.pk]),
            {"password": "rahasia", "return_url": feed_path(section)},
        )
        assert client.get(feed_path(section))["Content-Type"].startswith("application/rss+xml")

        other_reader = Client().get(feed_path(section))

        assert other_reader["Content-Type"].startswith("text/html")  # the password form
        assert b"Latest posts from Berita" not in other_reader.content

    def test_after_a_change_the_routing_does_not_look_the_site_up_again(
        self, client, section, post
    ):
        client.get(feed_path(section))
        publish(PostPageFactory(parent=section, title="Pelatihan"))

        with CaptureQueriesContext(connection) as queries:
            content = client.get(feed_path(section)).content

        assert b"Pelatihan" in content
        assert not [query for query in queries if '"wagtailcore_site"' in query["sql"]]

    def test_the_site_root_is_read_anew_after_a_change(self, client, home, section, post):
        client.get(feed_path(home))

        home.title = "Lembaga Baru"
        publish(home)

        assert b"Latest posts from Lembaga Baru" in client.get(feed_path(home)).content

    def test_a_site_given_another_host_no_longer_answers_at_the_old_one(
        self, client, home, section, post
    ):
        client.get(feed_path(section))
        site = Site.objects.get(root_page=home)

        site.hostname = "lembaga.example.org"
        site.save()

        assert client.get(feed_path(section)).status_code == 404
        moved = client.get(feed_path(section), headers={"host": "lembaga.example.org"})
        assert b"Mentoring" in moved.content


@pytest.fixture
def clock():
    """Move the time of the test forward: ``clock(moment)`` (an aware datetime)."""
    real_now = timezone.now()
    with (
        mock.patch("django.utils.timezone.now") as now,
        mock.patch("time.time") as time_time,
    ):

        def set_to(moment):
            now.return_value = moment
            time_time.return_value = moment.timestamp()

        set_to(real_now)  # frozen
        yield set_to


@pytest.mark.parametrize("middleware", [True, False], ids=["middleware", "routing"])
def test_a_post_leaves_every_feed_when_its_expiry_time_passes(
    client, settings, home, section, clock, middleware
):
    if middleware:
        use_feed_cache_middleware(settings)
    start = timezone.now()
    clock(start)
    expiry = start + datetime.timedelta(minutes=10)
    publish(PostPageFactory(parent=section, title="Lowongan kerja", expire_at=expiry))
    publish(PostPageFactory(parent=section, title="Laporan tahunan"))
    before = {page.pk: client.get(feed_path(page, "feed-atom")) for page in (section, home)}
    clock(expiry - datetime.timedelta(seconds=1))
    assert b"Lowongan kerja" in client.get(feed_path(section, "feed-atom")).content

    clock(expiry + datetime.timedelta(seconds=1))  # publish_scheduled has not run (yet)

    for page in (section, home):
        fresh = client.get(feed_path(page, "feed-atom"))
        revalidated = client.get(
            feed_path(page, "feed-atom"), headers={"if-none-match": before[page.pk]["ETag"]}
        )
        assert b"Lowongan kerja" not in fresh.content
        assert b"Laporan tahunan" in fresh.content
        assert revalidated.status_code == 200
        assert revalidated["ETag"] != before[page.pk]["ETag"]


@pytest.mark.usefixtures("feed_cache_middleware")
def test_a_scheduled_post_appears_when_publish_scheduled_publishes_it(client, section, clock):
    start = timezone.now()
    clock(start)
    post = PostPageFactory(parent=section, title="Terbit nanti", live=False)
    post.go_live_at = start + datetime.timedelta(hours=1)
    post.save_revision().publish()  # scheduled: not live before its time
    assert b"Terbit nanti" not in client.get(feed_path(section)).content

    clock(start + datetime.timedelta(hours=1, seconds=1))
    call_command("publish_scheduled")

    assert b"Terbit nanti" in client.get(feed_path(section)).content
