"""How fast a section's feed answers: uncached, cached and 304, against a static response.

Run from the repository root: ``.venv/bin/python bench/bench_feeds.py`` (``make bench``). It
builds its own SQLite database in memory with a local-memory cache, creates a section of 50
full-content posts (lead images, body images, links, tags, categories) and requests its RSS
feed through Django's test client, as many times as ``ROUNDS`` says. Each median is printed
with its ratio to a plain Django view returning the same bytes (the floor of any response of
that size through the same middleware), and the number of queries one such request makes.
Targets: cached ≤ 3×, 304 ≤ 1.5×. No network needed.
"""

import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
# Its own database and cache, whatever the shell exports.
for variable in ("DATABASE_URL", "REDIS_URL"):
    os.environ.pop(variable, None)
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
)
from django.urls import path  # noqa: E402

POSTS = 50
ROUNDS = {"static": 300, "uncached": 30, "cached": 300, "not modified": 300}
STATIC_BODY = {}
WITH_MIDDLEWARE = " (FeedCacheMiddleware)"
# The site's middleware with the feed cache middleware (as the example site has it) and without.
ROUTES = {
    WITH_MIDDLEWARE: [
        settings.MIDDLEWARE[0],
        "wagtail_grantee.feeds.middleware.FeedCacheMiddleware",
        *settings.MIDDLEWARE[1:],
    ],
    " (through Wagtail's routing)": settings.MIDDLEWARE,
}
TARGETS = {f"cached feed{WITH_MIDDLEWARE}": 3, f"304{WITH_MIDDLEWARE}": 1.5}


def static_view(request):
    return HttpResponse(STATIC_BODY["content"], content_type="application/rss+xml")


# This module is the URLconf of the run: the static view next to the test site's URLs.
urlpatterns = [path("bench-static/", static_view)]


def create_section():
    from tests.grantee.factories import (
        CategoryFactory,
        ImageFactory,
        PostPageFactory,
        SectionPageFactory,
        SiteFactory,
    )

    home = SiteFactory().root_page
    section = SectionPageFactory(parent=home, title="Berita")
    categories = [CategoryFactory(name="Laporan"), CategoryFactory(name="Mentoring")]
    paragraph = (
        f'<p>Tiga hari <b>mentoring</b> di <a linktype="page" id="{home.pk}">Lembaga</a> '
        'dan <a href="https://ciptamedia.example/">Cipta Media</a>. ' + "Lorem ipsum " * 40 + "</p>"
    )
    for n in range(POSTS):
        image = ImageFactory()
        PostPageFactory(
            parent=section,
            title=f"Laporan mentoring {n}",
            lead_image=image,
            tags=[f"tag-{n}", "mentoring"],
            categories=categories,
            body=[
                ("heading", "Hari pertama"),
                ("paragraph", paragraph),
                ("image", {"image": image, "caption": "Pelatihan admin"}),
                ("paragraph", paragraph),
                ("quote", {"text": "Kami butuh RSS.", "attribution": "Cipta Media"}),
            ],
        )
    return section


def measure(rounds, request, *, expect, before=None):
    """The median time of ``request`` in milliseconds, and the queries of one more request
    (counted apart: counting slows the queries down)."""
    times = []
    for _ in range(rounds):
        if before:
            before()
        started = time.perf_counter()
        response = request()
        times.append(time.perf_counter() - started)
        assert response.status_code == expect, response.status_code
    if before:
        before()
    with CaptureQueriesContext(connection) as queries:
        request()
    return statistics.median(times) * 1000, len(queries)


def main():
    from wagtail_grantee.feeds.caching import bump_feed_versions

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(
            ROOT_URLCONF=__name__,
            MIDDLEWARE=ROUTES[WITH_MIDDLEWARE],
            CACHES={
                "default": {
                    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "OPTIONS": {"MAX_ENTRIES": 10_000},
                }
            },
            WAGTAIL_GRANTEE={"FEED_ITEMS": POSTS, "FEED_FULL_CONTENT": True},
        ):
            urlpatterns.extend(__import__("tests.urls", fromlist=["urlpatterns"]).urlpatterns)
            section = create_section()
            client = Client()
            feed_url = section.url + section.reverse_subpage("feed")
            first = client.get(feed_url)  # creates the renditions once
            assert first.status_code == 200, first.status_code
            STATIC_BODY["content"] = first.content

            results = {}
            results["static view"] = measure(
                ROUNDS["static"], lambda: client.get("/bench-static/"), expect=200
            )
            results["uncached feed"] = measure(
                ROUNDS["uncached"],
                lambda: client.get(feed_url),
                before=lambda: bump_feed_versions(section.path),
                expect=200,
            )
            etag = client.get(feed_url)["ETag"]
            for label, middleware in ROUTES.items():
                with override_settings(MIDDLEWARE=middleware):
                    fresh = Client()  # a client loads the middleware once
                    results[f"cached feed{label}"] = measure(
                        ROUNDS["cached"], partial(fresh.get, feed_url), expect=200
                    )
                    results[f"304{label}"] = measure(
                        ROUNDS["not modified"],
                        partial(fresh.get, feed_url, headers={"if-none-match": etag}),
                        expect=304,
                    )

        floor = results["static view"][0]
        print(
            f"RSS feed of {POSTS} full-content posts ({len(first.content) / 1024:.0f} KiB) on "
            f"{connection.vendor}, local-memory cache; median of each, and its ratio to a static "
            "view of the same size, and its queries"
        )
        for name, (milliseconds, queries) in results.items():
            target = TARGETS.get(name)
            print(
                f"{name:<44} {milliseconds:8.2f} ms  {milliseconds / floor:8.2f}×  "
                f"{queries:3} queries" + (f"  (target ≤ {target}×)" if target else "")
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
