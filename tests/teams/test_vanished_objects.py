"""A service handed an object that someone else removed meanwhile says so (``NotFoundError``,
404 in the API) instead of failing with ``DoesNotExist`` (a 500); nothing is recorded twice."""

import pytest
from django.db import IntegrityError

from orgstructure.exceptions import NotFoundError
from orgstructure.models import ChangeEvent
from teams import services
from teams.models import Membership, ProjectGroupMember
from tests.factories import TeamFactory, UserFactory


@pytest.fixture
def team(db):
    return TeamFactory()


def test_removing_a_membership_removed_meanwhile_is_not_found(team, hr):
    membership = services.membership_add(user=UserFactory(), team=team, is_lead=True, acting_user=hr)
    Membership.objects.filter(pk=membership.pk).delete()
    with pytest.raises(NotFoundError):
        services.membership_remove(membership=membership, acting_user=hr)
    with pytest.raises(NotFoundError):
        services.membership_update(membership=membership, is_lead=False, acting_user=hr)
    assert not ChangeEvent.objects.filter(action__in=["membership.removed", "membership.updated"]).exists()


def test_removing_a_project_group_member_removed_meanwhile_is_not_found(team, hr):
    group = services.project_group_create(name="Squad", acting_user=hr)
    member = services.project_group_member_add(group=group, user=UserFactory(), home_team=team, acting_user=hr)
    ProjectGroupMember.objects.filter(pk=member.pk).delete()
    with pytest.raises(NotFoundError):
        services.project_group_member_remove(member=member, acting_user=hr)
    with pytest.raises(NotFoundError):
        services.project_group_member_update(member=member, role_in_group="Lead", acting_user=hr)
    assert not ChangeEvent.objects.filter(action="project_group.member_removed").exists()


def test_the_api_answers_404_with_the_error_shape(team, hr, client):
    from rest_framework.authtoken.models import Token

    membership = services.membership_add(user=UserFactory(), team=team, acting_user=hr)
    token = Token.objects.create(user=hr).key
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.delete(f"/api/v1/memberships/{membership.pk}/", **auth).status_code == 204
    response = client.delete(f"/api/v1/memberships/{membership.pk}/", **auth)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and response.json()["detail"]


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Membership.DoesNotExist("gone"), 404, "not_found"),
        (IntegrityError("fk violated at commit"), 409, "conflict"),
    ],
)
def test_the_api_nets_a_vanished_row_as_404_and_a_broken_reference_as_409(exc, status, code):
    """Services lock what they decide on; should one not, the answer is still a 4xx."""
    from orgstructure.api.errors import exception_handler

    response = exception_handler(exc, {"request": None})
    assert response.status_code == status
    assert response.data["code"] == code and response.data["detail"] and response.data["fields"] == {}
