from ..aggregator.models import AggregatorPage, FeedEntry, FeedSource
from .pages import GranteeHomePage, PostPage, PostPageTag, SectionPage
from .snippets import Category

__all__ = [
    "AggregatorPage",
    "Category",
    "FeedEntry",
    "FeedSource",
    "GranteeHomePage",
    "PostPage",
    "PostPageTag",
    "SectionPage",
]
