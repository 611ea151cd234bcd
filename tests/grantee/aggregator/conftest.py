import pytest

from tests.grantee.aggregator.server import FeedServer


@pytest.fixture(autouse=True)
def aggregator_settings(settings):
    """The test server runs on 127.0.0.1, which the aggregator refuses unless allowed."""
    settings.WAGTAIL_GRANTEE = {
        "AGGREGATOR_ALLOWED_NETWORKS": ["127.0.0.1/32"],
        "AGGREGATOR_TIMEOUT": 2,
    }
    return settings


@pytest.fixture
def server():
    with FeedServer() as feed_server:
        yield feed_server
