"""Factories for the grantee page types, shared by the page and feed tests.

Page factories insert the page into the tree: pass ``parent=`` to choose where, otherwise a
post gets a new section, a section a new grantee home, and a home goes under the tree's root.
"""

import factory
import swapper
from django.utils import timezone
from django.utils.text import slugify
from factory.django import DjangoModelFactory
from wagtail.images import get_image_model
from wagtail.models import Collection, Locale, Site

from wagtail_grantee.models import (
    AggregatorPage,
    Category,
    FeedEntry,
    FeedSource,
    GranteeHomePage,
    PostPage,
    SectionPage,
)


class ImageFactory(DjangoModelFactory):
    class Meta:
        model = get_image_model()

    title = factory.Sequence(lambda n: f"Image {n}")
    description = factory.LazyAttribute(lambda image: f"Alt text of {image.title}")
    file = factory.django.ImageField(width=800, height=450, color="teal")


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda category: slugify(category.name))


class PageFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    title = factory.Sequence(lambda n: f"Page {n}")
    live = True

    @classmethod
    def _create(cls, model_class, parent=None, **kwargs):
        page = model_class(**kwargs)
        if parent is None:
            parent = swapper.load_model("wagtailcore", "Page").get_first_root_node()
        parent.add_child(instance=page)
        return page


class GranteeHomePageFactory(PageFactory):
    class Meta:
        model = GranteeHomePage

    title = factory.Sequence(lambda n: f"Lembaga {n}")
    short_description = "A small NGO that lives on grants."


class SectionPageFactory(PageFactory):
    class Meta:
        model = SectionPage

    title = factory.Sequence(lambda n: f"Section {n}")
    parent = factory.SubFactory(GranteeHomePageFactory)


class PostPageFactory(PageFactory):
    class Meta:
        model = PostPage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Post {n}")
    parent = factory.SubFactory(SectionPageFactory)
    date = factory.LazyFunction(timezone.now)
    authors = "Siska Doviana"
    summary = factory.LazyAttribute(lambda post: f"Summary of {post.title}.")
    body = factory.LazyAttribute(lambda post: [("paragraph", f"<p>Body of {post.title}.</p>")])

    @factory.post_generation
    def tags(post, create, extracted, **kwargs):
        if extracted:
            post.tags.add(*extracted)
            post.save()

    @factory.post_generation
    def categories(post, create, extracted, **kwargs):
        if extracted:
            post.categories.set(extracted)
            post.save()


class SiteFactory(DjangoModelFactory):
    """A site served at ``testserver`` (the test client's host) with a grantee home as root."""

    class Meta:
        model = Site
        django_get_or_create = ["hostname", "port"]

    hostname = "testserver"
    port = 80
    site_name = "Lembaga Bhinneka"
    root_page = factory.SubFactory(GranteeHomePageFactory)


class FeedSourceFactory(DjangoModelFactory):
    class Meta:
        model = FeedSource

    name = factory.Sequence(lambda n: f"Grantee {n}")
    site_url = factory.Sequence(lambda n: f"http://grantee{n}.example.org/")
    feed_url = factory.LazyAttribute(lambda source: f"{source.site_url}feed/")


class FeedEntryFactory(DjangoModelFactory):
    class Meta:
        model = FeedEntry

    source = factory.SubFactory(FeedSourceFactory)
    guid = factory.Sequence(lambda n: f"urn:entry:{n}")
    link = factory.Sequence(lambda n: f"http://grantee.example.org/post/{n}/")
    title = factory.Sequence(lambda n: f"Entry {n}")
    summary = "A summary."
    content = "<p>The content.</p>"
    published_at = factory.LazyFunction(timezone.now)


class AggregatorPageFactory(PageFactory):
    class Meta:
        model = AggregatorPage
        skip_postgeneration_save = True

    title = "Kabar mitra"

    @factory.post_generation
    def sources(page, create, extracted, **kwargs):
        if extracted:
            page.sources.set(extracted)
            page.save()


def ensure_page_tree():
    """The tree's root page, made again (with the default locale and the root collection) when
    an earlier transactional test flushed the database, and with it what Wagtail's migrations
    create."""
    Locale.objects.get_or_create(language_code="en")
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    Page = swapper.load_model("wagtailcore", "Page")
    return Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
