from tests.conftest import _clear_cache  # noqa: F401  (the main suite's autouse fixture)
