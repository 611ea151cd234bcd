from ..aggregator.models import AggregatorPage, FeedEntry, FeedSource
from .imports import ImportedItem, ImportRun
from .pages import GranteeHomePage, PostPage, PostPageTag, SectionPage
from .snippets import Category

__all__ = [
    "AggregatorPage",
    "Category",
    "FeedEntry",
    "FeedSource",
    "GranteeHomePage",
    "ImportedItem",
    "ImportRun",
    "PostPage",
    "PostPageTag",
    "SectionPage",
]
