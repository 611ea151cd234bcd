"""WebSub: feeds name the hub, and publishing a post pings it in the background."""

import json
from urllib.parse import parse_qs

import feedparser
import pytest
import responses
from django_q.tasks import async_task, result

from tests.grantee.factories import PostPageFactory, SectionPageFactory, SiteFactory
from wagtail_grantee import tasks

pytestmark = pytest.mark.django_db

HUB = "https://hub.example/"


@pytest.fixture
def hub(settings):
    settings.WAGTAIL_GRANTEE = {"WEBSUB_HUB": HUB}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.post(HUB, status=204)
        yield mocked


@pytest.fixture
def section():
    return SectionPageFactory(parent=SiteFactory().root_page, title="Berita")


def pinged_topics(hub):
    bodies = [parse_qs(call.request.body) for call in hub.calls]
    assert all(body["hub.mode"] == ["publish"] for body in bodies)
    return {topic for body in bodies for topic in body["hub.url"]}


def feed_url(page, name="feed", **kwargs):
    return page.full_url + page.reverse_subpage(name, kwargs=kwargs)


@pytest.mark.parametrize("name", ["feed", "feed-atom"])
def test_xml_feeds_name_the_hub(client, hub, section, name):
    parsed = feedparser.parse(client.get(feed_url(section, name)).content)

    assert HUB in [link.href for link in parsed.feed.links if link.rel == "hub"]


def test_json_feed_names_the_hub(client, hub, section):
    document = json.loads(client.get(feed_url(section, "feed-json")).content)

    assert document["hubs"] == [{"type": "WebSub", "url": HUB}]


def test_feeds_name_no_hub_without_one(client, section):
    assert b'rel="hub"' not in client.get(feed_url(section)).content


def test_publishing_a_post_pings_the_hub_for_every_feed_that_carries_it(
    hub, section, django_capture_on_commit_callbacks
):
    post = PostPageFactory(parent=section, live=False, tags=["pemilu"])
    home = section.get_parent().specific

    with django_capture_on_commit_callbacks() as callbacks:
        post.save_revision().publish()
        assert not hub.calls  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()

    topics = pinged_topics(hub)
    for page in (section, home):
        for name in ("feed", "feed-atom", "feed-json"):
            assert feed_url(page, name) in topics
    assert feed_url(section, "tag-feed", tag="pemilu") in topics


def test_unpublishing_a_post_pings_the_hub(hub, section, django_capture_on_commit_callbacks):
    post = PostPageFactory(parent=section)

    with django_capture_on_commit_callbacks(execute=True):
        post.unpublish()

    assert feed_url(section) in pinged_topics(hub)


def test_nothing_is_pinged_without_a_hub(section, django_capture_on_commit_callbacks):
    with responses.RequestsMock() as mocked, django_capture_on_commit_callbacks(execute=True):
        PostPageFactory(parent=section, live=False).save_revision().publish()

    assert not mocked.calls


def test_the_ping_task_reports_topics_the_hub_refused_and_can_run_twice(settings):
    settings.WAGTAIL_GRANTEE = {"WEBSUB_HUB": HUB}
    topics = ["https://a.example/feed/", "https://a.example/feed/atom/"]
    with responses.RequestsMock() as mocked:
        mocked.post(HUB, status=204)
        mocked.post(HUB, status=503)
        mocked.post(HUB, status=204)
        mocked.post(HUB, status=204)

        assert tasks.ping_websub_hub(topics) == [topics[1]]
        assert tasks.ping_websub_hub(topics) == []


def test_a_ping_travels_through_the_broker(settings, queue_worker):
    settings.WAGTAIL_GRANTEE = {"WEBSUB_HUB": HUB}
    topic = "https://a.example/feed/"
    # The worker may run the task in a child process, where the calls are recorded: the task's
    # result (the topics the hub refused) shows it ran, with the hub configured.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.post(HUB, status=503)
        task_id = async_task(f"{tasks.__name__}.ping_websub_hub", [topic], sync=False)
        assert not mocked.calls

        assert queue_worker.drain() == [task_id]

    assert result(task_id) == [topic]
