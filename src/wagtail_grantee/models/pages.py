"""The grantee page types: organisation home, sections and posts (home → sections → posts)."""

import threading
import uuid
from contextlib import contextmanager
from functools import reduce
from operator import or_

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.db import models
from django.db.models import F, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import Tag, TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, TitleFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import PageViewRestriction
from wagtail.search import index

from ..blocks import PostBodyBlock
from ..conf import get_setting
from ..feeds import FeedRoutesMixin
from .base import active_base_page_model
from .snippets import Category

BasePage = active_base_page_model()


def language_choices():
    return [("", _("The site's language")), *settings.LANGUAGES]


def image_field(verbose_name, help_text=""):
    return models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=verbose_name,
        help_text=help_text,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


def private_q():
    """The pages in a private section, as ``PageQuerySet.private_q()`` finds them (its
    ``public()`` leaves them out), from the paths of the restricted pages alone (Wagtail's
    loads each restricted page whole)."""
    paths = PageViewRestriction.objects.values_list("page__path", flat=True)
    return reduce(or_, (Q(path__startswith=path) for path in paths), Q(pk__in=[]))


def with_list_images(posts):
    """Posts whose lead images bring their renditions along: a list costs the same queries
    for 3 posts as for 30."""
    return posts.prefetch_related("lead_image__renditions")


class GranteePageMixin:
    """What a section and a post take from the grantee home they are under."""

    def get_grantee_home(self):
        """The nearest live grantee home above this page."""
        # Wagtail's routing keeps the parent it routed through (as get_parent() does): a
        # section's home is found without a query when serving it.
        parent = self.__dict__.get("_cached_parent_obj")
        if isinstance(parent, GranteeHomePage) and parent.live:
            return parent
        # With its locale: a feed's language is the locale of its page, the home's too.
        return GranteeHomePage.objects.ancestor_of(self).live().select_related("locale").last()

    def get_meta_image(self):
        home = self.get_grantee_home()
        return home.get_meta_image() if home else None


class PostIndexMixin(RoutablePageMixin):
    """A page that lists the posts under it: newest first, by tag or category, paginated."""

    def get_posts(self, tag=None, category=None):
        """The live, public posts under this page, newest first; feeds use it too."""
        posts = (
            PostPage.objects.live()
            .exclude(private_q())
            .descendant_of(self)
            # Scheduled unpublishing runs from cron: an expired post leaves the lists now.
            .exclude(expire_at__lte=timezone.now())
            .select_related("lead_image")
            .order_by(F("date").desc(nulls_last=True), "-pk")
        )
        if tag:
            posts = posts.filter(tags__slug=tag)
        if category:
            posts = posts.filter(categories__slug=category)
        return posts

    def get_post_categories(self):
        """The categories of the posts listed here, to filter the list by."""
        return Category.objects.filter(posts__in=self.get_posts().values("pk")).distinct()

    def get_post_tags(self):
        """The tags of the posts listed here, to filter the list by."""
        return (
            Tag.objects.filter(
                wagtail_grantee_postpagetag_items__content_object__in=self.get_posts().values("pk")
            )
            .distinct()
            .order_by("name")
        )

    def render_post_list(self, request, posts, **context):
        paginator = Paginator(with_list_images(posts), get_setting("POSTS_PER_PAGE"))
        return self.render(
            request,
            context_overrides={"posts": paginator.get_page(request.GET.get("page")), **context},
        )

    @path("", name="posts")
    def posts_route(self, request):
        return self.render_post_list(request, self.get_posts())

    @path("tag/<str:tag>/", name="posts-by-tag")
    def posts_by_tag_route(self, request, tag):
        tag = get_object_or_404(Tag, slug=tag)
        return self.render_post_list(request, self.get_posts(tag=tag.slug), filter_tag=tag)

    @path("category/<slug:category>/", name="posts-by-category")
    def posts_by_category_route(self, request, category):
        category = get_object_or_404(Category, slug=category)
        return self.render_post_list(
            request, self.get_posts(category=category.slug), filter_category=category
        )


class GranteeHomePage(PostIndexMixin, FeedRoutesMixin, BasePage):
    """The grantee organisation's profile and the latest posts of its sections."""

    short_description = models.CharField(
        _("short description"),
        max_length=300,
        blank=True,
        help_text=_("One or two sentences: who you are and what you do."),
    )
    logo = image_field(_("logo"))
    lead_image = image_field(
        _("lead image"), _("A wide picture, shown on top of the page and when it is shared.")
    )
    mission = RichTextField(_("mission"), blank=True, features=["bold", "italic", "link", "ul"])
    region = models.CharField(
        _("region"), max_length=255, blank=True, help_text=_("For example: Surabaya, Jawa Timur.")
    )
    grant_programme = models.CharField(_("grant programme"), max_length=255, blank=True)
    grant_period_start = models.DateField(_("grant period start"), null=True, blank=True)
    grant_period_end = models.DateField(_("grant period end"), null=True, blank=True)
    website_url = models.URLField(_("website"), blank=True)
    facebook_url = models.URLField(_("Facebook page"), blank=True)
    twitter_url = models.URLField(_("X/Twitter account"), blank=True)
    instagram_url = models.URLField(_("Instagram account"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    donation_intro = models.TextField(
        _("donation appeal"),
        blank=True,
        help_text=_(
            "Why a donation matters, in a few words. The donation block shows when "
            "bank details or a donation link are filled in."
        ),
    )
    donation_bank_details = models.TextField(
        _("bank transfer details"),
        blank=True,
        help_text=_("Bank, account holder and account number, one per line."),
    )
    donation_url = models.URLField(_("online donation link"), blank=True)

    content_panels = [
        TitleFieldPanel("title", heading=_("Organisation name")),
        FieldPanel("short_description"),
        FieldRowPanel([FieldPanel("logo"), FieldPanel("lead_image")]),
        FieldPanel("mission"),
        MultiFieldPanel(
            [
                FieldPanel("region"),
                FieldPanel("grant_programme"),
                FieldRowPanel([FieldPanel("grant_period_start"), FieldPanel("grant_period_end")]),
            ],
            heading=_("Grant"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("website_url"),
                FieldPanel("facebook_url"),
                FieldPanel("twitter_url"),
                FieldPanel("instagram_url"),
                FieldPanel("contact_email"),
            ],
            heading=_("Links and contact"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("donation_intro"),
                FieldPanel("donation_bank_details"),
                FieldPanel("donation_url"),
            ],
            heading=_("Donations"),
        ),
    ]
    search_fields = BasePage.search_fields + [
        index.SearchField("short_description"),
        index.SearchField("mission"),
        index.SearchField("region"),
    ]
    settings_panels = BasePage.settings_panels + FeedRoutesMixin.feed_settings_panels
    # A programme's own site may also republish its grantees' posts as a river.
    subpage_types = ["wagtail_grantee.SectionPage", "wagtail_grantee.AggregatorPage"]

    class Meta:
        verbose_name = _("grantee home")
        verbose_name_plural = _("grantee homes")

    @property
    def accepts_donations(self):
        return bool(self.donation_bank_details or self.donation_url)

    def get_meta_description(self):
        return search_description(self) or self.short_description

    def get_grantee_home(self):
        return self

    def get_meta_image(self):
        return self.lead_image or self.logo

    def get_sections(self):
        return SectionPage.objects.child_of(self).live().public()

    def get_menu_pages(self):
        """The header's navigation: the sections, and any other live, public page under the
        home that editors show in menus (a sign-up page, a river of grantees' posts)."""
        children = self.get_children().live().public()
        shown = children.type_q(SectionPage)
        # A swapped base page model may have no "show in menus" at all.
        if any(field.name == "show_in_menus" for field in children.model._meta.get_fields()):
            shown |= Q(show_in_menus=True)
        return children.filter(shown)

    @path("", name="posts")
    def posts_route(self, request):
        latest = with_list_images(self.get_posts())[: get_setting("HOME_LATEST_POSTS")]
        return self.render(request, context_overrides={"latest_posts": latest})


class SectionPage(GranteePageMixin, PostIndexMixin, FeedRoutesMixin, BasePage):
    """An index of posts (news, reports, events…) with its own feeds."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = BasePage.content_panels + [FieldPanel("intro")]
    settings_panels = BasePage.settings_panels + FeedRoutesMixin.feed_settings_panels
    search_fields = BasePage.search_fields + [index.SearchField("intro")]
    parent_page_types = ["wagtail_grantee.GranteeHomePage"]
    subpage_types = ["wagtail_grantee.PostPage"]

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def get_meta_description(self):
        return search_description(self) or _plain_text(self.intro)


class PostPageTag(TaggedItemBase):
    content_object = ParentalKey(
        "wagtail_grantee.PostPage", related_name="tagged_items", on_delete=models.CASCADE
    )


_search_index_deferred = threading.local()


@contextmanager
def post_search_index_deferred():
    """Within it, saving a post in this thread does not update the search index: the caller
    indexes the posts it wrote itself, once each. An importer saves each post three times
    (``add_child``, ``save_revision``, ``publish``) and indexes them in batches instead."""
    if getattr(_search_index_deferred, "value", False):
        yield
        return
    _search_index_deferred.value = True
    try:
        yield
    finally:
        del _search_index_deferred.value


def post_search_index_is_deferred():
    return getattr(_search_index_deferred, "value", False)


class PostPage(GranteePageMixin, BasePage):
    """A news item, report or story; it appears in its section's list and feeds."""

    date = models.DateTimeField(
        _("publication date"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Left empty, it is set when the post is first published."),
    )
    authors = models.CharField(
        _("authors"), max_length=255, blank=True, help_text=_("Names, separated by commas.")
    )
    language = models.CharField(
        _("language"),
        max_length=15,
        blank=True,
        help_text=_("The language the post is written in, when it is not the site's."),
    )
    summary = models.TextField(
        _("summary"),
        blank=True,
        help_text=_("Two or three sentences, shown in lists, feeds and when the post is shared."),
    )
    body = StreamField(PostBodyBlock(), verbose_name=_("body"), blank=True)
    lead_image = image_field(
        _("lead image"), _("Shown on top of the post, in lists and feeds, and when it is shared.")
    )
    tags = ClusterTaggableManager(
        through=PostPageTag, blank=True, verbose_name=_("tags"), related_name="grantee_posts"
    )
    categories = ParentalManyToManyField(
        Category, blank=True, verbose_name=_("categories"), related_name="posts"
    )
    source_name = models.CharField(
        _("source"), max_length=255, blank=True, help_text=_("Where an imported post came from.")
    )
    source_url = models.URLField(_("original address"), max_length=1000, blank=True)
    source_id = models.CharField(_("source id"), max_length=255, blank=True)
    guid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    content_panels = BasePage.content_panels + [
        FieldRowPanel(
            [
                FieldPanel("date"),
                FieldPanel("authors"),
                FieldPanel("language", widget=forms.Select(choices=language_choices)),
            ]
        ),
        FieldPanel("summary"),
        FieldPanel("lead_image"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("source_name", read_only=True),
                FieldPanel("source_url", read_only=True),
                FieldPanel("source_id", read_only=True),
            ],
            heading=_("Imported from"),
            classname="collapsed",
        ),
    ]
    promote_panels = BasePage.promote_panels + [
        MultiFieldPanel(
            [
                FieldPanel("categories", widget=forms.CheckboxSelectMultiple),
                FieldPanel("tags"),
            ],
            heading=_("Categories and tags"),
        ),
    ]
    search_fields = BasePage.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("authors"),
        index.FilterField("date"),
    ]
    parent_page_types = ["wagtail_grantee.SectionPage"]
    subpage_types = []
    # A copy is a new post: feeds must not take it for the original.
    exclude_fields_in_copy = ["guid"]
    # Saving a post updates its search entry through the suite's own signal handlers, which
    # leave it alone while post_search_index_deferred() is on (signal_handlers.py).
    search_auto_update = False

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def save(self, *args, **kwargs):
        if self.date is None and self.first_published_at:
            # Publishing sets first_published_at just before it saves the page; a page saved
            # live but not (yet) published (the admin's create view does so) stays undated.
            self.date = self.first_published_at
        super().save(*args, **kwargs)

    @property
    def author_names(self):
        return [name.strip() for name in self.authors.split(",") if name.strip()]

    def get_meta_description(self):
        return search_description(self) or self.summary

    def get_meta_image(self):
        # Facebook shows shared posts without a picture poorly: fall back on the home's.
        return self.lead_image or super().get_meta_image()

    def get_section(self):
        return SectionPage.objects.parent_of(self).first()


def _plain_text(html):
    return strip_tags(html).strip()


def search_description(page):
    # A custom base page model (WAGTAIL_PAGE_MODEL) may leave out Wagtail's SEO fields.
    return getattr(page, "search_description", "")
