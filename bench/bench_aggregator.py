"""How fast the aggregator fetches: 100 feeds of 20 items from a local HTTP server.

Run from the repository root: ``.venv/bin/python bench/bench_aggregator.py``. It builds its own
SQLite database in memory, starts an HTTP server on 127.0.0.1 (the one the tests use) serving
100 RSS feeds of 20 items each, with ETags, and runs the aggregator over them as
``fetch_feeds --force`` does:

1. a first full round (every feed downloaded, parsed, 2,000 entries saved);
2. a second round where every source answers 304 (target: under 2 seconds);
3. the first round again on 100 other feeds under ``tracemalloc``, for the peak memory.

For each round: wall time, queries per source, and the share of the work spent waiting on the
network against parsing and saving (the fetches overlap, so the shares are of the summed
per-source times, not of the wall time).
"""

import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
for variable in ("DATABASE_URL", "REDIS_URL"):
    os.environ.pop(variable, None)
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
)

from tests.grantee.aggregator.server import FeedServer, rss, rss_items  # noqa: E402

SOURCES = 100
ITEMS = 20
TARGET_304_SECONDS = 2.0


def item_with_body(item):
    # A post of a few paragraphs, a link and an image, as a grantee's feed carries.
    body = (
        "&lt;p&gt;Lembaga Bhinneka mengadakan pelatihan. "
        * 8
        + "&lt;a href='/berita/'&gt;Berita&lt;/a&gt; &lt;img src='/media/foto.jpg' "
        "width='800' height='450'&gt;&lt;/p&gt;"
    ) * 3
    return item | {"description": body}


def serve_feeds(server, prefix):
    from wagtail_grantee.models import FeedSource

    sources = []
    for n in range(SOURCES):
        path = f"/{prefix}{n}/feed/"
        items = [item_with_body(item) for item in rss_items(ITEMS, f"{prefix}{n}")]
        server.feed(path, rss(items, title=f"Mitra {n}"), etag=f'"{prefix}{n}-v1"')
        sources.append(
            FeedSource(
                name=f"Mitra {prefix}{n}", site_url=server.url("/"), feed_url=server.url(path)
            )
        )
    FeedSource.objects.bulk_create(sources)
    return [source.pk for source in FeedSource.objects.filter(name__startswith=f"Mitra {prefix}")]


def timed_round(label, source_ids):
    from wagtail_grantee.aggregator import fetching

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        summary = fetching.run(source_ids, force=True)
        wall = time.perf_counter() - started
    outcomes = summary.outcomes
    assert not summary.errors, [o.error for o in outcomes if o.error][:3]
    network = sum(o.network_seconds for o in outcomes)
    parse = sum(o.parse_seconds for o in outcomes)
    save = sum(o.save_seconds for o in outcomes)
    work = network + parse + save or 1
    print(
        f"{label:<28} {wall:7.2f} s  {wall / len(outcomes) * 1000:6.1f} ms/source  "
        f"{len(queries) / len(outcomes):5.1f} queries/source  "
        f"network {network / work:4.0%}  parse {parse / work:4.0%}  save {save / work:4.0%}  "
        f"(new {sum(o.new for o in outcomes)}, 304s {summary.count(lambda o: o.not_modified)})"
    )
    return wall


def main():
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    from wagtail_grantee.conf import get_setting

    settings = {"AGGREGATOR_ALLOWED_NETWORKS": ["127.0.0.1/32"]}
    with override_settings(WAGTAIL_GRANTEE=settings), FeedServer() as server:
        concurrency = get_setting("AGGREGATOR_CONCURRENCY")
        print(f"{SOURCES} feeds of {ITEMS} items on {server.base_url}, concurrency {concurrency}")
        first_ids = serve_feeds(server, "a")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        timed_round("first round (all 200)", first_ids)
        not_modified = timed_round("second round (all 304)", first_ids)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        second_ids = serve_feeds(server, "b")
        tracemalloc.start()
        timed_round("first round, traced memory", second_ids)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    print(f"peak Python memory in a first round: {peak / 2**20:.1f} MiB (tracemalloc)")
    print(
        f"max resident set size: {rss_after / 1024:.1f} MiB "
        f"(grew {(rss_after - rss_before) / 1024:.1f} MiB in the timed rounds)"
    )
    verdict = "OK" if not_modified < TARGET_304_SECONDS else "MISSED"
    print(
        f"all-304 round: {not_modified:.2f} s, target < {TARGET_304_SECONDS} s: {verdict} "
        f"({not_modified / TARGET_304_SECONDS:.2f}× the target)"
    )


if __name__ == "__main__":
    main()
