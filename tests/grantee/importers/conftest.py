import pytest

from wagtail_grantee.importers import runs


@pytest.fixture(autouse=True)
def uploads_dir(tmp_path, monkeypatch):
    """Each test keeps its uploaded archives in its own folder."""
    folder = tmp_path / "uploads"
    monkeypatch.setattr(runs, "UPLOADS_DIR", folder)
    return folder
