"""Feed documents: RSS 2.0 and Atom 1.0 on Django's generators, and JSON Feed 1.1.

Each generator takes the same channel and item keywords, so one function builds a feed of any
format (``wagtail_grantee.feeds.building``). Extra item keywords used here:

- ``content_html``: the full body as HTML (RSS ``content:encoded``, Atom ``content``, JSON
  ``content_html``); ``None`` when the feed carries summaries only.
- ``image``: the lead image as a :class:`FeedImage` (RSS/Atom ``media:content``, JSON
  ``image``); its enclosure is passed in ``enclosures`` as usual.
- ``summary``: the summary as plain text (JSON ``summary``; ``description`` is its HTML).
- ``author_names``: the item's authors, one element each (RSS ``dc:creator``, Atom ``author``,
  JSON ``authors``); a plain ``author_name`` is taken as a single name.

- ``fragment``: the item as written in the document (its element, or its JSON object), when
  known (kept from an earlier document); written from the other keywords when ``None``, and
  then found in ``feed.items`` after ``write()``.

Extra channel keywords: ``hub`` (a WebSub hub URL) and ``updated`` (when the channel itself
last changed; ``lastBuildDate`` and Atom ``updated`` are the newest of it and the items' dates).
"""

import json
from dataclasses import dataclass
from io import StringIO

from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed, rfc3339_date
from django.utils.xmlutils import SimplerXMLGenerator

MEDIA_NS = "http://search.yahoo.com/mrss/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"


@dataclass(frozen=True)
class FeedImage:
    url: str
    mime_type: str
    length: int
    width: int
    height: int

    @property
    def media_attributes(self):
        return {
            "url": self.url,
            "type": self.mime_type,
            "medium": "image",
            "fileSize": str(self.length),
            "width": str(self.width),
            "height": str(self.height),
        }


class FeedMixin:
    """What the three generators share: one author element per name, and stable dates."""

    def add_item(self, *, author_name=None, author_names=(), **kwargs):
        names = list(author_names) or ([author_name] if author_name else [])
        # Django's generators write one element for ``author_name``; ours write one per name.
        super().add_item(author_name=None, author_names=names, **kwargs)

    def latest_post_date(self):
        # The newest of the items' dates and the channel's own ``updated``: derived from the
        # content, so two renderings of the same content are the same document. (Django's
        # fallback, now(), only serves a feed with no item whose page was never published.)
        dates = [
            item[key] for item in self.items for key in ("updateddate", "pubdate") if item[key]
        ]
        if self.feed.get("updated"):
            dates.append(self.feed["updated"])
        return max(dates) if dates else super().latest_post_date()


class XmlFeedMixin(FeedMixin):
    """Items written as the text of their elements, or as given in ``fragment``."""

    #: The name of an item's element.
    item_element = None

    def write_items(self, handler):
        for item in self.items:
            if item.get("fragment") is None:
                item["fragment"] = self.item_element_text(item)
            handler.ignorableWhitespace(item["fragment"])  # written as it is

    def item_element_text(self, item):
        """The item's element, as the generator's ``write_items`` writes it."""
        out = StringIO()
        handler = SimplerXMLGenerator(out, "utf-8", short_empty_elements=True)
        handler.startElement(self.item_element, self.item_attributes(item))
        self.add_item_elements(handler, item)
        handler.endElement(self.item_element)
        return out.getvalue()


class RssFeed(XmlFeedMixin, Rss201rev2Feed):
    item_element = "item"

    def rss_attributes(self):
        return super().rss_attributes() | {
            "xmlns:content": CONTENT_NS,
            "xmlns:dc": DC_NS,
            "xmlns:media": MEDIA_NS,
        }

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        if self.feed["author_name"]:
            handler.addQuickElement("dc:creator", self.feed["author_name"])
        if self.feed.get("hub"):
            handler.addQuickElement("atom:link", None, {"rel": "hub", "href": self.feed["hub"]})

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name in item["author_names"]:
            handler.addQuickElement("dc:creator", name)
        if item.get("content_html"):
            handler.addQuickElement("content:encoded", item["content_html"])
        if item.get("image"):
            handler.addQuickElement("media:content", None, item["image"].media_attributes)


class AtomFeed(XmlFeedMixin, Atom1Feed):
    item_element = "entry"

    def root_attributes(self):
        return super().root_attributes() | {"xmlns:media": MEDIA_NS}

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        if self.feed.get("hub"):
            handler.addQuickElement("link", None, {"rel": "hub", "href": self.feed["hub"]})

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name in item["author_names"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.endElement("author")
        if item.get("content_html"):
            handler.addQuickElement("content", item["content_html"], {"type": "html"})
        if item.get("image"):
            handler.addQuickElement("media:content", None, item["image"].media_attributes)


class JsonFeed(FeedMixin, SyndicationFeed):
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)."""

    content_type = "application/feed+json; charset=utf-8"
    version = "https://jsonfeed.org/version/1.1"

    def write(self, outfile, encoding):
        # What json.dump(self.as_dict(), outfile, ensure_ascii=False, indent=1) writes, with
        # each item's object as given in its fragment (or written now).
        for item in self.items:
            if item.get("fragment") is None:
                item["fragment"] = _json(self.item_as_dict(item), level=2)
        fragments = [item["fragment"] for item in self.items]
        items = ("[\n  " + ",\n  ".join(fragments) + "\n ]") if fragments else "[]"
        members = [
            f"{_json(key)}: {items if value is _ITEMS else _json(value, level=1)}"
            for key, value in self._document(_ITEMS).items()
        ]
        outfile.write("{\n " + ",\n ".join(members) + "\n}")

    def as_dict(self):
        return self._document([self.item_as_dict(item) for item in self.items])

    def _document(self, items):
        feed = self.feed
        document = {
            "version": self.version,
            "title": feed["title"],
            "home_page_url": feed["link"],
            "feed_url": feed["feed_url"],
            "description": feed["description"],
            "language": feed["language"],
            "authors": [{"name": feed["author_name"], "url": feed["author_link"] or feed["link"]}],
            "items": items,
        }
        if feed.get("hub"):
            document["hubs"] = [{"type": "WebSub", "url": feed["hub"]}]
        return _without_empty(document)

    def item_as_dict(self, item):
        image = item.get("image")
        return _without_empty(
            {
                "id": item["unique_id"],
                "url": item["link"],
                "title": item["title"],
                "content_html": item.get("content_html") or item["description"] or "",
                "summary": item.get("summary"),
                "image": image.url if image else None,
                "date_published": item["pubdate"] and rfc3339_date(item["pubdate"]),
                "date_modified": item["updateddate"] and rfc3339_date(item["updateddate"]),
                "authors": [{"name": name} for name in item["author_names"]] or None,
                "tags": list(item["categories"]) or None,
                "attachments": [
                    {
                        "url": enclosure.url,
                        "mime_type": enclosure.mime_type,
                        "size_in_bytes": int(enclosure.length),
                    }
                    for enclosure in item["enclosures"]
                ]
                or None,
            }
        )


_ITEMS = object()  # where the items go in the document


def _json(value, level=0):
    """``value`` as JSON indented by one space a level, as it is written ``level`` levels deep
    in a document (strings hold no line break: JSON escapes it)."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n" + " " * level)


def _without_empty(mapping):
    # JSON Feed readers treat a missing key and a null one alike; missing is tidier.
    return {key: value for key, value in mapping.items() if value is not None}


FEED_CLASSES = {"rss": RssFeed, "atom": AtomFeed, "json": JsonFeed}
