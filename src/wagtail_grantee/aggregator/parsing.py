"""Feeds into plain entries: RSS 0.9x/1.0/2.0 and Atom by feedparser, JSON Feed 1.1 by json.

Every HTML field goes through nh3: no script, style, iframe, event handler or ``javascript:``
URL survives; relative URLs are made absolute against the entry's link (or the feed's base);
images stay links to the original, lazy-loaded, with their width and height when the feed
says them. Also: the feed links of an HTML page (autodiscovery).
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import feedparser
import nh3
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

GUID_MAX_LENGTH = 255
ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"figure", "figcaption"}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
URL_ATTRIBUTES = {"href", "src"}
FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
}
WHITESPACE = re.compile(r"\s+")


class ParseError(Exception):
    """The body is not a feed we can read; the message says why."""


@dataclass
class ParsedEntry:
    guid: str
    link: str
    title: str
    summary: str
    content: str
    author: str
    published_at: datetime | None
    updated_at: datetime | None
    image_url: str
    image_width: int | None
    image_height: int | None


def sanitise(html, base_url):
    """``html`` safe to show on the river page, its URLs absolute against ``base_url``."""
    if not html:
        return ""

    def filter_attribute(tag, attribute, value):
        if attribute in URL_ATTRIBUTES:
            return urljoin(base_url, value.strip()) if base_url else value
        if attribute in ("width", "height") and not value.isdigit():
            return None
        return value

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=filter_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"img": {"loading": "lazy", "decoding": "async"}},
    ).strip()


def web_url(url):
    """``url`` if it is an http or https address, else "" (a feed's ``javascript:`` link must
    not become a link on the river page)."""
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else ""


def plain_text(html, limit=None):
    text = WHITESPACE.sub(" ", strip_tags(html or "")).strip()
    return text[:limit] if limit else text


def parse(body, url, content_type=""):
    """Parse a feed document; returns the list of :class:`ParsedEntry`, one per guid."""
    if _looks_like_json(body, content_type):
        entries = _parse_json_feed(body, url)
    else:
        entries = _parse_xml_feed(body, url, content_type)
    unique = {}
    for entry in entries:
        unique.setdefault(entry.guid, entry)  # a feed that repeats a guid yields one entry
    return list(unique.values())


def _looks_like_json(body, content_type):
    return "json" in content_type or body.lstrip()[:1] == b"{"


def _parse_xml_feed(body, url, content_type):
    document = feedparser.parse(
        body,
        response_headers={"content-location": url, "content-type": content_type or "text/xml"},
        sanitize_html=False,  # nh3 does it, with our own rules
        resolve_relative_uris=False,  # nh3 does it, against each entry's own link
    )
    if document.bozo and not document.entries:
        reason = getattr(document, "bozo_exception", None)
        raise ParseError(
            _("Not a feed that can be read (%(reason)s).") % {"reason": reason or _("unknown")}
        )
    if not document.entries and not document.get("version"):
        raise ParseError(_("Not a feed that can be read (no RSS, Atom or JSON Feed)."))
    base = document.feed.get("link") or url
    return [entry for entry in (_xml_entry(item, base) for item in document.entries) if entry]


def _xml_entry(item, base):
    link = urljoin(base, item.get("link", "")) if item.get("link") else ""
    guid = item.get("id") or link
    content_html = ""
    if item.get("content"):
        content_html = item.content[0].get("value", "")
    summary_html = item.get("summary", "")
    if summary_html == content_html:
        summary_html = ""
    image_url, width, height = _xml_image(item)
    return _entry(
        guid=guid,
        link=link,
        title=item.get("title", ""),
        summary_html=summary_html,
        content_html=content_html or summary_html,
        author=item.get("author", ""),
        published=_struct_time(item.get("published_parsed")),
        # dict.get: feedparser's own get() maps a missing "updated" to "published", warning.
        updated=_struct_time(dict.get(item, "updated_parsed")),
        image=(image_url, width, height),
        base=link or base,
    )


def _xml_image(item):
    for media in item.get("media_content", []) + item.get("media_thumbnail", []):
        if media.get("url") and media.get("medium", "image") == "image":
            return media["url"], _int(media.get("width")), _int(media.get("height"))
    for enclosure in item.get("enclosures", []):
        if enclosure.get("type", "").startswith("image/") and enclosure.get("href"):
            return enclosure["href"], None, None
    return "", None, None


def _parse_json_feed(body, url):
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ParseError(_("Not a feed that can be read (invalid JSON).")) from error
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise ParseError(_("Not a feed that can be read (JSON, but not a JSON Feed)."))
    base = document.get("home_page_url") or url
    items = document.get("items")
    if not isinstance(items, list):
        raise ParseError(_("Not a feed that can be read (a JSON Feed without items)."))
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        link = urljoin(base, item.get("url") or "") if item.get("url") else ""
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        entry = _entry(
            guid=str(item.get("id") or link),
            link=link,
            title=str(item.get("title") or ""),
            summary_html=str(item.get("summary") or ""),
            content_html=str(item.get("content_html") or item.get("content_text") or ""),
            author=", ".join(str(a.get("name", "")) for a in authors if isinstance(a, dict)),
            published=_iso_date(item.get("date_published")),
            updated=_iso_date(item.get("date_modified")),
            image=(str(item.get("image") or item.get("banner_image") or ""), None, None),
            base=link or base,
        )
        if entry:
            entries.append(entry)
    return entries


def _entry(*, guid, link, title, summary_html, content_html, author, published, updated,
           image, base):  # fmt: skip
    guid = (guid or "").strip()
    if not guid:
        # Neither guid nor link: the title and date are all that tell entries apart.
        if not title:
            return None
        guid = f"urn:sha256:{_digest(title + str(published or updated or ''))}"
    if len(guid) > GUID_MAX_LENGTH:
        guid = f"urn:sha256:{_digest(guid)}"
    content = sanitise(content_html, base)
    image_url, width, height = image
    if not image_url:
        image_url, width, height = _first_image(content)
    summary = plain_text(summary_html or content, 600)
    image_url = urljoin(base, image_url) if image_url else ""
    return ParsedEntry(
        guid=guid,
        link=web_url(link)[:1000],
        title=plain_text(title, 1000),
        summary=summary,
        content=content,
        author=plain_text(author, 255),
        published_at=published or updated,
        updated_at=updated,
        image_url=web_url(image_url)[:1000],
        image_width=width,
        image_height=height,
    )


class _FirstImage(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = None

    def handle_starttag(self, tag, attrs):
        if tag == "img" and self.found is None:
            self.found = dict(attrs)


def _first_image(html):
    if "<img" not in html:
        return "", None, None
    finder = _FirstImage()
    finder.feed(html)
    image = finder.found or {}
    return image.get("src") or "", _int(image.get("width")), _int(image.get("height"))


class _FeedLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = (attrs.get("rel") or "").lower().split()
        media_type = (attrs.get("type") or "").split(";")[0].strip().lower()
        if tag == "link" and "alternate" in rel and media_type in FEED_TYPES and attrs.get("href"):
            self.links.append(attrs["href"])


def discover_feed_url(html, base_url):
    """The first feed that an HTML page names with ``<link rel="alternate">``, or ``None``."""
    finder = _FeedLinks()
    finder.feed(html.decode("utf-8", "replace") if isinstance(html, bytes) else html)
    return urljoin(base_url, finder.links[0]) if finder.links else None


def is_html(body, content_type):
    if "html" in content_type:
        return True
    start = body.lstrip()[:200].lower()
    return start.startswith(b"<!doctype html") or start.startswith(b"<html")


def _struct_time(value):
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _iso_date(value):
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _int(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()
