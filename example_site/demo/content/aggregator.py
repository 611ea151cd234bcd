"""Demo content of the aggregator: a river page whose sources are the demo site's own section
feeds, as the grant programme's site would follow its grantees.

The sources point at the demo's web server (``DEMO_BASE_URL``, by default the address
``make demo`` serves, http://127.0.0.1:8000), which the demo's settings allow in
``AGGREGATOR_ALLOWED_NETWORKS``. The worker fills the river at its first round;
``manage.py fetch_feeds`` fills it at once (while the server runs).
"""

import os
from urllib.parse import urljoin

from wagtail_grantee.models import AggregatorPage, FeedSource, GranteeHomePage, SectionPage

RIVER = {
    "slug": "kabar-mitra",
    "title": "Kabar mitra Cipta Media",
    "intro": "<p>The latest posts of the programme's grantees, gathered from their feeds.</p>",
}


def base_url():
    return os.environ.get("DEMO_BASE_URL", "http://127.0.0.1:8000")


def load(log):
    home = GranteeHomePage.objects.filter(depth=2).first()
    if home is None:
        log("Aggregator: no grantee home to put the river under; skipped.")
        return
    sources = [ensure_source(home, section) for section in SectionPage.objects.child_of(home)]
    river = AggregatorPage.objects.child_of(home).filter(slug=RIVER["slug"]).first()
    created = river is None
    if created:
        river = home.add_child(instance=AggregatorPage(live=False, show_in_menus=True, **RIVER))
        river.sources.set(sources)
        river.save_revision().publish()
    log(
        f"Aggregator: river {'created' if created else 'already there'} with "
        f"{len(sources)} sources (the demo's own section feeds)."
    )


def ensure_source(home, section):
    feed_url = urljoin(base_url(), section.feed_url())
    source, _created = FeedSource.objects.get_or_create(
        feed_url=feed_url,
        defaults={
            "name": f"{home.title}: {section.title}",
            "site_url": urljoin(base_url(), section.get_url()),
        },
    )
    return source
