"""WebSub (https://www.w3.org/TR/websub/): tell the hub that feeds changed.

The hub then fetches the feeds and pushes them to their subscribers, so aggregators learn of a
new post within seconds instead of at their next poll.
"""

import logging

import requests

from ..conf import get_setting

logger = logging.getLogger(__name__)


def ping_hub(topic_urls):
    """POST ``hub.mode=publish`` for each of ``topic_urls`` to the configured hub.

    Returns the topics the hub did not accept (it is asked again on the next publish); does
    nothing without a hub.
    """
    hub = get_setting("WEBSUB_HUB")
    if not hub:
        return []
    failed = []
    with requests.Session() as session:
        for topic in topic_urls:
            try:
                response = session.post(
                    hub,
                    data={"hub.mode": "publish", "hub.url": topic},
                    timeout=get_setting("WEBSUB_TIMEOUT"),
                )
                response.raise_for_status()
            except requests.RequestException as error:
                logger.warning("WebSub hub %s refused the ping for %s: %s", hub, topic, error)
                failed.append(topic)
    return failed
