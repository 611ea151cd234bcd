"""Template tags of the grantee pages: social metadata and the page's grantee home."""

from urllib.parse import urlsplit

import swapper
from django import template

from ..conf import get_setting
from ..models import GranteeHomePage, PostPage

register = template.Library()


@register.simple_tag
def grantee_home(page):
    """The grantee home that ``page`` belongs to (itself for a home), or ``None``.

    A page of another type under a grantee home (an SMS sign-up page, a form) belongs to it
    too, so a template that extends the grantee base shows the home's header and footer.
    """
    get_home = getattr(page, "get_grantee_home", None)
    if get_home:
        return get_home()
    if isinstance(page, swapper.load_model("wagtailcore", "Page")):
        return GranteeHomePage.objects.ancestor_of(page).live().last()
    return None


def canonical_url(page, request):
    """The page's full URL, followed by the sub-route (``tag/…/``, ``category/…/``) served."""
    url = page.get_full_url(request)
    page_path = urlsplit(url).path if url else None
    if page_path and request and request.path.startswith(page_path):
        return url + request.path[len(page_path) :]
    return url


def twitter_handle(profile_url):
    """``@name`` from an X/Twitter profile address, or an empty string."""
    parts = urlsplit(profile_url or "")
    name = parts.path.strip("/").split("/")[0]
    if name and parts.hostname in {"x.com", "twitter.com", "www.x.com", "www.twitter.com"}:
        return f"@{name}"
    return ""


def social_metadata(page, request):
    """The Open Graph and Twitter card values of a grantee page, with absolute URLs."""
    home = page.get_grantee_home()
    site = page.get_site()
    metadata = {
        "title": getattr(page, "seo_title", "") or page.title,
        "description": page.get_meta_description(),
        "url": canonical_url(page, request),
        "type": "website",
        "site_name": (site and site.site_name) or (home and home.title) or "",
        "twitter_site": twitter_handle(home and home.twitter_url),
        "image": None,
    }
    image = page.get_meta_image()
    if image:
        rendition = image.get_rendition(get_setting("SOCIAL_IMAGE_FILTER"))
        metadata["image"] = {
            "url": request.build_absolute_uri(rendition.url) if request else rendition.full_url,
            "width": rendition.width,
            "height": rendition.height,
            "alt": image.default_alt_text,
        }
    if isinstance(page, PostPage):
        section = page.get_section()
        metadata |= {
            "type": "article",
            "published_time": page.date,
            "modified_time": page.last_published_at,
            "section": section.title if section else "",
            "tags": [tag.name for tag in page.tags.all()],
        }
    return metadata


@register.inclusion_tag("wagtail_grantee/includes/social_meta.html", takes_context=True)
def social_meta(context, page):
    """Canonical link, description, Open Graph and Twitter card tags of a grantee page."""
    return {"meta": social_metadata(page, context.get("request"))}
