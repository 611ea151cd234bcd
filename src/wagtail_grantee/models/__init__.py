from .pages import GranteeHomePage, PostPage, PostPageTag, SectionPage
from .snippets import Category

__all__ = ["Category", "GranteeHomePage", "PostPage", "PostPageTag", "SectionPage"]
