"""Fixtures for the API tests: clients for each kind of caller, with a real token (so query
counts include the token lookup, as a script's requests do)."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from roles.models import Role
from teams.models import Team
from teams.services import membership_add
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttle counters live in the (process-wide) cache; each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def client_for(db):
    """``client_for(user)``: an API client that sends the user's token."""

    def make(user):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        client.user = user
        return client

    return make


@pytest.fixture
def make_lead(db):
    """``make_lead(team, username)``: a member who leads ``team`` (through the service, so the
    guardian permission is granted as in production)."""

    def make(team: Team, username: str = "lead"):
        user = UserFactory(username=username)
        membership_add(user=user, team=team, is_lead=True, acting_user=None)
        return user

    return make


@pytest.fixture
def hr_client(hr, client_for):
    return client_for(hr)


@pytest.fixture
def reader_client(reader, client_for):
    return client_for(reader)


@pytest.fixture
def member_client(member, client_for):
    return client_for(member)


def db_state(role) -> dict:
    """What a denied or refused write must leave unchanged."""
    from orgstructure.models import ChangeEvent
    from roles.models import RoleRevision

    role.refresh_from_db()
    return {
        "role": (role.title, role.slug, role.status, role.headcount, role.version, role.team_id),
        "duties": list(role.duties.order_by("position").values_list("id", "text", "serves_id")),
        "revisions": RoleRevision.objects.filter(role=role).count(),
        "events": ChangeEvent.objects.count(),
        "roles": Role.objects.count(),
    }


@pytest.fixture
def seed_teams(seed_org):
    return {t.slug: t for t in Team.objects.all()}


@pytest.fixture
def seed_roles(seed_org):
    return {r.slug: r for r in Role.objects.select_related("team")}
