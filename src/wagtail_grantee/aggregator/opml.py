"""The list of sources as OPML 2.0 (what feed readers import and export).

Import adds the outlines with an ``xmlUrl`` (or only an ``htmlUrl``: the feed is then found by
autodiscovery) that are not followed yet, matched by feed address, else by website; it never
changes or deletes an existing source. The file is parsed with defusedxml, so entity tricks
(billion laughs, external entities) are refused.
"""

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext as _

from .models import FeedSource

MAX_OPML_BYTES = 2 * 1024 * 1024


class OPMLError(Exception):
    """The file is not OPML we can read; the message says why."""


@dataclass
class ImportResult:
    added: list = field(default_factory=list)  # FeedSource
    skipped: list = field(default_factory=list)  # (title, reason)

    def describe(self):
        return _("%(added)s sources added, %(skipped)s skipped.") % {
            "added": len(self.added),
            "skipped": len(self.skipped),
        }


def read_outlines(data):
    """``[(title, feed_url, site_url)]`` of an OPML document (bytes)."""
    if len(data) > MAX_OPML_BYTES:
        raise OPMLError(_("The file is too large for an OPML list."))
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as error:
        raise OPMLError(_("The file is not valid OPML (%(error)s).") % {"error": error}) from error
    if root.tag != "opml" or root.find("body") is None:
        raise OPMLError(_("The file is not OPML (no <opml> with a <body>)."))
    outlines = []
    for outline in root.iter("outline"):
        feed_url = (outline.get("xmlUrl") or "").strip()
        site_url = (outline.get("htmlUrl") or "").strip()
        if not feed_url and not site_url:
            continue  # a folder
        title = (outline.get("title") or outline.get("text") or feed_url or site_url).strip()
        outlines.append((title[:255], feed_url, site_url))
    return outlines


def import_opml(data):
    """Add the sources of an OPML document that are not followed yet (one transaction)."""
    result = ImportResult()
    validate = URLValidator(schemes=["http", "https"])
    known = set()
    for feed_url, site_url in FeedSource.objects.values_list("feed_url", "site_url"):
        known.update(url for url in (feed_url, site_url if not feed_url else "") if url)
    with transaction.atomic():
        for title, feed_url, site_url in read_outlines(data):
            try:
                for url in (feed_url, site_url):
                    if url:
                        validate(url)
            except ValidationError:
                result.skipped.append((title, _("not an http or https address")))
                continue
            key = feed_url or site_url
            if key in known:
                result.skipped.append((title, _("already followed")))
                continue
            known.add(key)
            result.added.append(
                FeedSource.objects.create(
                    name=title, feed_url=feed_url, site_url=site_url or feed_url
                )
            )
    return result


def export_opml(sources=None, title=None):
    """An OPML 2.0 document (bytes) of ``sources`` (all by default)."""
    sources = FeedSource.objects.all() if sources is None else sources
    opml = Element("opml", version="2.0")
    head = SubElement(opml, "head")
    SubElement(head, "title").text = title or _("Feed sources")
    SubElement(head, "dateCreated").text = http_date(timezone.now().timestamp())
    body = SubElement(opml, "body")
    for source in sources:
        attributes = {"text": source.name, "title": source.name, "htmlUrl": source.site_url}
        if source.feed_url:
            attributes |= {"type": "rss", "xmlUrl": source.feed_url}
        SubElement(body, "outline", attributes)
    return tostring(opml, encoding="utf-8", xml_declaration=True)
