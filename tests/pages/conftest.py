import pytest
from django.core.cache import cache

from teams.models import Team
from teams.services import membership_add
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def marketing_lead(seed_org):
    lead = UserFactory(username="mlead", first_name="李", last_name="娜")
    membership_add(user=lead, team=Team.objects.get(slug="marketing"), is_lead=True, acting_user=None)
    return lead


def signed_in(client, user):
    client.force_login(user)
    return client
