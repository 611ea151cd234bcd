import pytest

from tests.grantee.factories import SectionPageFactory, SiteFactory


@pytest.fixture
def home():
    """The root page of the default site: a grantee home."""
    return SiteFactory().root_page.specific


@pytest.fixture
def section(home):
    return SectionPageFactory(parent=home, title="Berita")
