import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Overlap results are cached per organisation fingerprint; start every test cold."""
    cache.clear()
    yield
    cache.clear()
