"""StreamField blocks of a post's body."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock


class CaptionedImageBlock(blocks.StructBlock):
    #: The renditions its template shows (its srcset): feeds fetch them for all posts at once.
    rendition_specs = ("width-480", "width-800", "width-1200")

    image = ImageBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=255)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "wagtail_grantee/blocks/image.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quote"))
    attribution = blocks.CharBlock(label=_("Who said it"), required=False, max_length=255)

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "wagtail_grantee/blocks/quote.html"


class DocumentLinkBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(
        label=_("Link text"),
        required=False,
        max_length=255,
        help_text=_("Left empty, the document's title is shown."),
    )

    class Meta:
        icon = "doc-full"
        label = _("Document link")
        template = "wagtail_grantee/blocks/document_link.html"


class PostBodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        label=_("Heading"),
        max_length=255,
        form_classname="title",
        icon="title",
        template="wagtail_grantee/blocks/heading.html",
    )
    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"),
        features=["bold", "italic", "link", "document-link", "ol", "ul"],
        icon="pilcrow",
    )
    image = CaptionedImageBlock()
    embed = EmbedBlock(
        label=_("Embed"),
        help_text=_("A YouTube, Vimeo, SoundCloud… address."),
        icon="media",
        template="wagtail_grantee/blocks/embed.html",
    )
    quote = QuoteBlock()
    document = DocumentLinkBlock()
