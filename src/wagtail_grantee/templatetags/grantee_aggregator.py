"""``{% river_feed_links page %}``: autodiscovery links of an aggregator page's own feeds."""

from django import template
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from ..aggregator.feeds import RiverFeed
from ..feeds.discovery import media_type
from .grantee_feeds import FORMAT_NAMES

register = template.Library()


@register.simple_tag(takes_context=True)
def river_feed_links(context, page):
    request = context.get("request")
    links = [
        (
            media_type(feed_format),
            _("%(title)s (%(format)s)")
            % {"title": RiverFeed(page, feed_format).title(), "format": name},
            page.feed_url(feed_format, request=request, full=True),
        )
        for feed_format, name in FORMAT_NAMES.items()
    ]
    return format_html_join(
        "\n",
        '<link rel="alternate" type="{}" title="{}" href="{}">',
        [link for link in links if link[2] is not None],
    )
