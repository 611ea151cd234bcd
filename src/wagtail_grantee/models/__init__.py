from .imports import ImportedItem, ImportRun
from .pages import GranteeHomePage, PostPage, PostPageTag, SectionPage
from .snippets import Category

__all__ = [
    "Category",
    "GranteeHomePage",
    "ImportedItem",
    "ImportRun",
    "PostPage",
    "PostPageTag",
    "SectionPage",
]
