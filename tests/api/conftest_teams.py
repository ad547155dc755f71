"""Fixtures and helpers of the teams API tests (imported explicitly by tests/api/test_teams.py
and its siblings, so that they do not clash with tests/api/conftest.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from orgstructure.models import ChangeEvent
from teams.models import (
    Membership,
    ProjectGroup,
    ProjectGroupMember,
    Team,
    TeamDuty,
    TeamUserObjectPermission,
)
from teams.services import membership_add
from tests.factories import TeamDutyFactory, TeamFactory, UserFactory

# (caller, status, code) of every caller that may read but not write.
DENIED_WRITERS = [
    ("anonymous", 401, "not_authenticated"),
    ("member", 403, "permission_denied"),
    ("other_lead", 403, "permission_denied"),
    ("lead", 403, "permission_denied"),
    ("reader", 403, "permission_denied"),
]
READERS = ["member", "other_lead", "lead", "reader", "hr"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Test users get a password; the production hasher makes that take most of a test's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db):
    """company → (product → design, operations); product has two core duties."""
    company = TeamFactory(name="Company", slug="company", kind="other", position=0)
    product = TeamFactory(name="Product", slug="product", kind="product", parent=company, position=10)
    design = TeamFactory(name="Design", slug="design", kind="product", parent=product, position=0)
    operations = TeamFactory(name="Operations", slug="operations", kind="operations", parent=company, position=20)
    duty1 = TeamDutyFactory(team=product, position=1, text="Own the product roadmap")
    duty2 = TeamDutyFactory(team=product, position=2, text="Talk to customers")
    return SimpleNamespace(
        company=company, product=product, design=design, operations=operations, duties=[duty1, duty2]
    )


@pytest.fixture
def callers(org, hr, reader, member):
    """anonymous, a plain member of product, the lead of product, the lead of operations
    (another team), an org reader and an HR manager."""
    membership_add(user=member, team=org.product, acting_user=None)
    lead = UserFactory(username="productlead", first_name="Pat", last_name="Lead")
    membership_add(user=lead, team=org.product, is_lead=True, acting_user=None)
    other_lead = UserFactory(username="opslead", first_name="Olga", last_name="Ops")
    membership_add(user=other_lead, team=org.operations, is_lead=True, acting_user=None)
    return {"anonymous": None, "member": member, "lead": lead, "other_lead": other_lead, "reader": reader, "hr": hr}


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def db_snapshot() -> dict:
    """Everything a teams API write could touch, to assert that a refused one touched nothing."""
    return {
        "teams": list(Team.objects.order_by("pk").values()),
        "core_duties": list(TeamDuty.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "groups": list(ProjectGroup.objects.order_by("pk").values()),
        "group_members": list(ProjectGroupMember.objects.order_by("pk").values()),
        "lead_permissions": list(TeamUserObjectPermission.objects.order_by("pk").values()),
        "changes": ChangeEvent.objects.count(),
        "history": [model.history.count() for model in (Team, TeamDuty, Membership, ProjectGroup, ProjectGroupMember)],
    }


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"detail", "code", "fields"}, body
    assert body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body
