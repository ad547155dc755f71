import pytest
from django.db import connection

from roles.org_template import org_template_load
from tests.factories import UserFactory, hr_manager, org_reader

# The trust tests' figures (matrix cases, fuzzed requests, ...), summed over xdist workers.
from tests.trust.figures import pytest_sessionfinish, pytest_terminal_summary, pytest_testnodedown  # noqa: F401


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)"))


@pytest.fixture
def hr(db):
    return hr_manager()


@pytest.fixture
def reader(db):
    return org_reader()


@pytest.fixture
def member(db):
    return UserFactory(username="member")


@pytest.fixture
def seed_org(db):
    """The seed organisation (English), loaded the way `make run` loads it."""
    org_template_load(key="ecommerce", lang="en")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories give every user a password; the production hasher would dominate test time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
