"""Feed links of grantee pages: ``{% load grantee_feeds %}``.

``{% feed_links page %}`` in a page's ``<head>`` (autodiscovery) names the feeds that carry
the page: a post's section and grantee home feeds, a section's own and its home's; on a list by
tag or category, that tag's or category's feeds first.

``{% follow_feed page %}`` shows visitors a "Follow by RSS" link to the page's own feed (a
post's: its section's), with a short word on what RSS is for people who have never used it.
"""

import swapper
from django import template
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from ..feeds.building import feed_title
from ..feeds.discovery import feed_pages_for, media_type
from ..feeds.generators import FEED_CLASSES
from ..feeds.routes import FeedRoutesMixin

register = template.Library()

FORMAT_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}


@register.simple_tag(takes_context=True)
def feed_links(context, page):
    if not isinstance(page, swapper.load_model("wagtailcore", "Page")):
        return ""
    request = context.get("request")
    links = []
    for feed_page in feed_pages_for(page):
        scopes = [{}]
        if feed_page.pk == page.pk:
            if context.get("filter_tag"):
                scopes.insert(0, {"tag": context["filter_tag"]})
            elif context.get("filter_category"):
                scopes.insert(0, {"category": context["filter_category"]})
        for scope in scopes:
            title = feed_title(feed_page, **scope)
            slugs = {name: value.slug for name, value in scope.items()}
            links += [
                (
                    media_type(feed_format),
                    _("%(title)s (%(format)s)")
                    % {"title": title, "format": FORMAT_NAMES[feed_format]},
                    feed_page.feed_url(feed_format, request=request, full=True, **slugs),
                )
                for feed_format in FEED_CLASSES
            ]
    return format_html_join(
        "\n",
        '<link rel="alternate" type="{}" title="{}" href="{}">',
        [link for link in links if link[2] is not None],  # None: no site serves the page
    )


@register.inclusion_tag("wagtail_grantee/includes/follow_feed.html", takes_context=True)
def follow_feed(context, page):
    """A visible link to the RSS feed of ``page`` (a home or section; a post's section), or
    nothing when no feed carries the page or no site serves it."""
    if not isinstance(page, swapper.load_model("wagtailcore", "Page")):
        return {}
    if isinstance(page, FeedRoutesMixin):
        feed_page = page
    else:
        feed_page = next(iter(feed_pages_for(page)), None)
    if feed_page is None:
        return {}
    feed_url = feed_page.feed_url("rss", request=context.get("request"), full=True)
    return {"feed_page": feed_page, "feed_url": feed_url} if feed_url else {}
