import pytest

from wagtail_grantee_sms.backends import locmem


@pytest.fixture(autouse=True)
def sms_outbox():
    """Every test starts with an empty ``wagtail_grantee_sms.outbox`` and no forced failures."""
    import wagtail_grantee_sms

    locmem.reset()
    yield wagtail_grantee_sms.outbox
    locmem.reset()
