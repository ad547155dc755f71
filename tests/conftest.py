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
    _refuse_unserialized_transactional_tests(items)


def _refuse_unserialized_transactional_tests(items):
    """A transactional test without serialized_rollback re-creates content types and permissions
    when its tables are emptied; a serialized one run after it on the same worker then fails to
    put back its own copy (duplicate key). Whether that happens depends on xdist's order, so
    refuse the mix at collection rather than fail now and then."""
    unserialized = []
    for item in items:
        marker = item.get_closest_marker("django_db")
        wants_transaction = marker is not None and marker.kwargs.get("transaction")
        uses_live_server = "live_server" in getattr(item, "fixturenames", ())
        if (wants_transaction or uses_live_server) and not (marker and marker.kwargs.get("serialized_rollback")):
            unserialized.append(item.nodeid)
    if unserialized:
        raise pytest.UsageError(
            "transactional tests must use django_db(transaction=True, serialized_rollback=True): "
            + ", ".join(unserialized[:5])
        )


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
