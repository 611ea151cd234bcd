"""The HTML that goes into feeds: post bodies rendered in bulk, made absolute and sanitised.

A reader shows feed content outside the site, so every ``href``, ``src`` and ``srcset`` is made
absolute against the site's root URL, and the HTML goes through nh3, so no script, event
handler or iframe leaves the site. Rendering is done for a whole page of posts at once: each
block type's database values (images, documents) are fetched in one query for all posts, rich
text links are expanded in one pass, and the renditions of all images come in one query, so a
feed of 100 posts costs as many queries as a feed of 10.
"""

import re
from collections import defaultdict
from functools import partial
from urllib.parse import urljoin

import nh3
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.html import escape, format_html
from wagtail.blocks import StructValue
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.models import AbstractImage
from wagtail.rich_text import RichText, get_rewriter

# Characters XML 1.0 forbids; they come in with pasted or imported text.
XML_INVALID_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
URL_ATTRIBUTES = {"href", "src", "cite"}
ALLOWED_ATTRIBUTES = nh3.ALLOWED_ATTRIBUTES | {
    "a": {"href", "hreflang", "title"},
    "img": {"src", "srcset", "sizes", "alt", "width", "height"},
    "source": {"srcset", "sizes", "type", "media"},
    "picture": set(),
}
ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"picture", "source"}


def xml_safe(text):
    """``text`` without the control characters that would make a feed invalid XML."""
    return XML_INVALID_CHARACTERS.sub("", text) if text else text


def clean_html(html, base_url):
    """Sanitise ``html`` for a feed and make its links and image addresses absolute."""

    def absolutise(tag, attribute, value):
        if attribute in URL_ATTRIBUTES:
            return urljoin(base_url, value)
        if attribute == "srcset":
            return ", ".join(
                " ".join([urljoin(base_url, url), *descriptor])
                for url, *descriptor in (candidate.split() for candidate in value.split(","))
                if url
            )
        return value

    return nh3.clean(
        xml_safe(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=absolutise,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel=None,
    )


def render_bodies(posts, context, *, images=(), image_specs=()):
    """Render the body of each of ``posts`` to HTML for a feed: ``{post.pk: html}``.

    ``context`` is the template context the blocks render with (it carries the request).
    ``images`` are more images (the posts' lead images) whose ``image_specs`` renditions are
    fetched in the same query as those the bodies' images show.
    """
    posts = list(posts)
    if not posts:
        return {}
    stream_block = posts[0].body.stream_block
    blocks_by_post = _bulk_to_python(stream_block, posts)
    blocks = [block_value for blocks in blocks_by_post.values() for block_value in blocks]
    prefetch_renditions(_images_to_show(blocks, images, image_specs))
    _expand_rich_text([value for _block, value in blocks])
    return {
        pk: "".join(_render_block(block, value, context) for block, value in blocks)
        for pk, blocks in blocks_by_post.items()
    }


def _bulk_to_python(stream_block, posts):
    """Each post's body as ``[(block, value)]``, one conversion per block type for all posts."""
    raw_by_type = defaultdict(list)
    for post in posts:
        for position, child in enumerate(post.body.raw_data):
            if child["type"] in stream_block.child_blocks:
                raw_by_type[child["type"]].append((post.pk, position, child["value"]))
    placed = defaultdict(dict)
    for type_name, entries in raw_by_type.items():
        block = stream_block.child_blocks[type_name]
        converted = block.bulk_to_python([raw for _pk, _position, raw in entries])
        for (pk, position, _raw), value in zip(entries, converted, strict=True):
            placed[pk][position] = (block, value)
    return {post.pk: [placed[post.pk][i] for i in sorted(placed[post.pk])] for post in posts}


def _leaves(value):
    """A block value, or the children of a struct value."""
    return value.values() if isinstance(value, StructValue) else [value]


def _images_to_show(blocks, images, image_specs):
    """``[(image, the specs of its renditions to fetch, or None for all of them)]`` of the
    ``images`` (with ``image_specs``) and of the images in ``blocks``: those of a block that
    names its renditions in ``rendition_specs`` (as its template shows them), all the
    renditions of the others. (Not a dict: two instances of one image are equal.)"""
    wanted = [(image, set(image_specs)) for image in images]
    for block, value in blocks:
        specs = getattr(block, "rendition_specs", None)
        wanted += [
            (leaf, None if specs is None else set(specs))
            for leaf in _leaves(value)
            if isinstance(leaf, AbstractImage)
        ]
    return wanted


def prefetch_renditions(wanted):
    """Fetch the renditions of the images of ``wanted`` (``[(image, specs, or None for all)]``)
    in one query for the images that want named specs, and one for the others."""
    named = [(image, specs) for image, specs in wanted if specs is not None]
    if named:
        renditions = (
            named[0][0]
            .get_rendition_model()
            .objects.filter(filter_spec__in=set().union(*(specs for _image, specs in named)))
        )
        prefetch_related_objects(
            [image for image, _specs in named], Prefetch("renditions", queryset=renditions)
        )
    prefetch_related_objects([image for image, specs in wanted if specs is None], "renditions")


def _expand_rich_text(values):
    """Expand every rich text's links and embeds (pages, documents, images) in one pass."""
    rich_texts = [leaf for value in values for leaf in _leaves(value) if isinstance(leaf, RichText)]
    for rich_text, html in zip(
        rich_texts, expand_db_html_many([text.source for text in rich_texts]), strict=True
    ):
        rich_text.source = html  # has no link left to expand when the block renders it


def expand_db_html_many(sources):
    """``expand_db_html`` of each of ``sources``, with one lookup per link or embed type for
    all of them (not one per source), and each distinct tag expanded once (posts often link
    the same pages: each expansion of a page link reads the site's root paths again).

    Each source is rewritten on its own, so nothing a source contains can shift the others: no
    text is joined and split again, so there is no marker for content to forge.
    """
    sources = list(sources)
    for rewriter in get_rewriter().rewriters:  # links, then embeds, as expand_db_html does
        matches = [rewriter.extract_tags(source) for source in sources]
        for tag_type in dict.fromkeys(tag_type for found in matches for tag_type in found):
            tags = [tag for found in matches for tag in found.get(tag_type, [])]
            distinct = {_attributes_key(tag.attrs): tag.attrs for tag in tags}
            if tag_type == "page" and _is_wagtails_page_links(rewriter.bulk_rules.get("page")):
                expand = _expand_page_links
            else:
                expand = partial(rewriter.get_tag_replacements, tag_type)
            replacements = dict(
                zip(
                    distinct,
                    expand(list(distinct.values())),
                    # No replacements at all: the tags of that type stay as they are.
                    strict=False,
                )
            )
            for tag in tags:
                tag.replacement = replacements.get(_attributes_key(tag.attrs))
        sources = [
            _replace_tags(source, found) for source, found in zip(sources, matches, strict=True)
        ]
    return sources


def _is_wagtails_page_links(rule):
    from wagtail.rich_text.pages import PageLinkHandler  # loads the page model

    return rule == PageLinkHandler.expand_db_attributes_many


def _expand_page_links(attrs_list):
    """What Wagtail's page link handler makes of ``attrs_list`` (unless a site registers its
    own), with the linked pages loaded in one query instead of two: as specific pages whose
    own fields are read only if their URL needs them (``specific(defer=True)``)."""
    from wagtail.rich_text.pages import PageLinkHandler

    ids = [attrs.get("id") for attrs in attrs_list]
    page_model = PageLinkHandler.get_model()
    pages = page_model.objects.filter(id__in=ids).defer_streamfields().specific(defer=True)
    pages_by_id = {str(page.pk): page for page in pages}
    return [
        f'<a href="{escape(page.localized.url)}">' if page else "<a>"
        for page in (pages_by_id.get(str(id_)) for id_ in ids)
    ]


def _attributes_key(attributes):
    return tuple(sorted(attributes.items()))


def _replace_tags(source, matches_by_type):
    tags = sorted(
        (tag for found in matches_by_type.values() for tag in found if tag.replacement is not None),
        key=lambda tag: tag.start,
    )
    parts, position = [], 0
    for tag in tags:
        parts += [source[position : tag.start], tag.replacement]
        position = tag.end
    return "".join([*parts, source[position:]])


def _render_block(block, value, context):
    if isinstance(block, EmbedBlock):
        # An embed is a third party's player (an iframe a reader would strip); a link to it
        # works everywhere and needs no call to the provider.
        return format_html('<p><a href="{0}">{0}</a></p>', value.url) if value else ""
    return block.render(value, context)
