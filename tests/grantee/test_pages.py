"""The grantee page types: where they may be created, which posts a home or section lists,
the publication date and the feed guid of a post."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.models import PageViewRestriction
from wagtail.search.models import IndexEntry

from wagtail_grantee.models import GranteeHomePage, PostPage, SectionPage

from .factories import (
    CategoryFactory,
    GranteeHomePageFactory,
    PostPageFactory,
    SectionPageFactory,
)

pytestmark = pytest.mark.django_db


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


class TestPageTree:
    def test_a_home_holds_sections_and_a_section_holds_posts(self):
        home = GranteeHomePageFactory()
        section = SectionPageFactory(parent=home)
        assert SectionPage.can_create_at(home)
        assert PostPage.can_create_at(section)

    def test_posts_go_in_sections_only(self):
        home = GranteeHomePageFactory()
        post = PostPageFactory(parent=SectionPageFactory(parent=home))
        assert not PostPage.can_create_at(home)
        assert not PostPage.can_create_at(post)
        assert not SectionPage.can_create_at(post)

    def test_sections_go_under_a_grantee_home_only(self):
        section = SectionPageFactory()
        assert not SectionPage.can_create_at(section)
        assert not GranteeHomePage.can_create_at(section)
        assert SectionPage.allowed_parent_page_models() == [GranteeHomePage]


class TestGetPosts:
    def test_newest_first_from_all_sections_of_a_home(self):
        home = GranteeHomePageFactory()
        news, reports = SectionPageFactory(parent=home), SectionPageFactory(parent=home)
        old = PostPageFactory(parent=news, date=days_ago(30))
        newest = PostPageFactory(parent=reports, date=days_ago(1))
        middle = PostPageFactory(parent=news, date=days_ago(10))

        assert list(home.get_posts()) == [newest, middle, old]
        assert list(news.get_posts()) == [middle, old]

    def test_another_homes_posts_are_not_listed(self):
        ours, theirs = GranteeHomePageFactory(), GranteeHomePageFactory()
        our_post = PostPageFactory(parent__parent=ours)
        PostPageFactory(parent__parent=theirs)

        assert list(ours.get_posts()) == [our_post]

    def test_drafts_unpublished_and_expired_posts_are_not_listed(self):
        section = SectionPageFactory()
        published = PostPageFactory(parent=section)
        PostPageFactory(parent=section, live=False)
        PostPageFactory(parent=section).unpublish()
        PostPageFactory(parent=section, expire_at=days_ago(1))  # not yet unpublished by cron
        PostPageFactory(parent=section, expire_at=timezone.now() + datetime.timedelta(days=1))

        assert published in section.get_posts()
        assert section.get_posts().count() == 2

    @pytest.mark.parametrize(
        "restriction",
        [
            {"restriction_type": PageViewRestriction.PASSWORD, "password": "rahasia"},
            {"restriction_type": PageViewRestriction.LOGIN},
            {"restriction_type": PageViewRestriction.GROUPS},
        ],
        ids=["password", "login", "groups"],
    )
    @pytest.mark.parametrize("restricted", ["post", "section"])
    def test_restricted_posts_are_not_listed(self, restriction, restricted):
        home = GranteeHomePageFactory()
        open_section, closed_section = (
            SectionPageFactory(parent=home),
            SectionPageFactory(parent=home),
        )
        public = PostPageFactory(parent=open_section)
        private = PostPageFactory(parent=closed_section)
        view_restriction = PageViewRestriction.objects.create(
            page=private if restricted == "post" else closed_section, **restriction
        )
        if restriction["restriction_type"] == PageViewRestriction.GROUPS:
            view_restriction.groups.add(Group.objects.create(name="Pengurus"))

        assert list(home.get_posts()) == [public]
        assert list(closed_section.get_posts()) == []

    def test_filters_by_tag_slug(self):
        section = SectionPageFactory()
        tagged = PostPageFactory(parent=section, tags=["Kebebasan Pers", "sms"])
        PostPageFactory(parent=section, tags=["sms"])
        PostPageFactory(parent=section)

        assert list(section.get_posts(tag="kebebasan-pers")) == [tagged]
        assert section.get_posts(tag="sms").count() == 2
        assert list(section.get_posts(tag="unknown")) == []

    def test_filters_by_category_slug(self):
        section = SectionPageFactory()
        report, mentoring = CategoryFactory(name="Laporan"), CategoryFactory(name="Mentoring")
        both = PostPageFactory(parent=section, categories=[report, mentoring])
        only_report = PostPageFactory(parent=section, categories=[report], date=days_ago(2))

        assert list(section.get_posts(category="laporan")) == [both, only_report]
        assert list(section.get_posts(category="mentoring")) == [both]
        assert list(section.get_posts(tag=None, category="mentoring")) == [both]


class TestPublicationDate:
    def test_a_post_without_date_gets_its_first_publication_date(self):
        post = PostPageFactory(live=False, date=None)
        assert post.date is None

        post.save_revision().publish()
        post.refresh_from_db()

        assert post.date is not None
        assert post.date == post.first_published_at

    def test_the_date_does_not_move_when_the_post_is_published_again(self):
        post = PostPageFactory(live=False, date=None)
        post.save_revision().publish()
        post.refresh_from_db()
        first_date = post.date

        post.title = "Judul baru"
        post.save_revision().publish()
        post.refresh_from_db()

        assert post.date == first_date

    def test_an_editors_date_is_kept(self):
        chosen = days_ago(400)
        post = PostPageFactory(live=False, date=chosen)
        post.save_revision().publish()
        post.refresh_from_db()

        assert post.date == chosen
        assert post.first_published_at > chosen


class TestGuid:
    def test_guid_survives_title_slug_and_move(self):
        home = GranteeHomePageFactory()
        post = PostPageFactory(parent__parent=home)
        guid = post.guid

        post.title, post.slug = "Another title", "another-slug"
        post.save_revision().publish()
        post.move(SectionPageFactory(parent=home), pos="last-child")
        post.refresh_from_db()

        assert post.guid == guid
        assert post.url_path.endswith("/another-slug/")

    def test_a_copy_gets_a_new_guid_also_when_published(self):
        post = PostPageFactory()
        post.save_revision().publish()

        copy = post.copy(update_attrs={"slug": "salinan", "title": "Salinan"})
        copy.save_revision().publish()
        copy.refresh_from_db()
        post.refresh_from_db()

        assert copy.guid != post.guid
        assert copy.get_latest_revision_as_object().guid == copy.guid
        assert PostPage.objects.filter(guid=post.guid).count() == 1


class TestSearch:
    def test_posts_are_found_by_summary_body_and_authors(self):
        section = SectionPageFactory()
        post = PostPageFactory(
            parent=section,
            summary="Pelatihan verifikasi kontak",
            body=[("paragraph", "<p>Umpan berita RSS untuk Cipta Media.</p>")],
            authors="Siska Doviana",
        )
        PostPageFactory(parent=section, authors="Hendra")

        for query in ["verifikasi", "Cipta", "Doviana"]:
            assert list(PostPage.objects.live().search(query)) == [post], query

    def test_a_posts_search_entry_follows_its_changes_and_leaves_with_it(self):
        post = PostPageFactory(parent=SectionPageFactory(), summary="Pelatihan verifikasi")

        post.summary = "Radio komunitas"
        post.save_revision().publish()

        assert list(PostPage.objects.search("verifikasi")) == []
        assert list(PostPage.objects.search("komunitas")) == [post]
        entries = IndexEntry.objects.filter(object_id=str(post.pk))
        assert entries.exists()
        post.delete()
        assert not entries.exists()
