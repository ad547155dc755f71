"""roles.visibility.RoleVisibility: the one rule for who sees which roles, as a queryset filter
and as a yes/no check that always agree."""

import pytest
from django.contrib.auth.models import AnonymousUser

from roles.models import Role, RoleStatus
from roles.visibility import RoleVisibility
from teams.models import Membership
from teams.services import membership_add
from tests.factories import RoleFactory, TeamFactory, UserFactory, hr_manager, org_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    top = TeamFactory(slug="top")
    team = TeamFactory(slug="team", parent=top)
    below = TeamFactory(slug="below", parent=team)
    other = TeamFactory(slug="other", parent=top)
    roles = {
        "active": RoleFactory(team=team, slug="active"),
        "retired": RoleFactory(team=team, slug="retired", status=RoleStatus.RETIRED),
        "draft": RoleFactory(team=team, slug="draft", status=RoleStatus.DRAFT),
        "draft_below": RoleFactory(team=below, slug="draft-below", status=RoleStatus.DRAFT),
        "draft_top": RoleFactory(team=top, slug="draft-top", status=RoleStatus.DRAFT),
        "draft_other": RoleFactory(team=other, slug="draft-other", status=RoleStatus.DRAFT),
    }
    people = {
        "hr": hr_manager(),
        "reader": org_reader(),
        "member": UserFactory(username="member"),
        "lead": UserFactory(username="lead"),
        "inactive_lead": UserFactory(username="gone"),
    }
    membership_add(user=people["member"], team=team, acting_user=None)
    membership_add(user=people["lead"], team=team, is_lead=True, acting_user=None)
    membership_add(user=people["inactive_lead"], team=team, is_lead=True, acting_user=None)
    people["inactive_lead"].is_active = False
    people["inactive_lead"].save()
    people["anonymous"] = AnonymousUser()
    people["none"] = None
    return roles, people


EVERYONE = {"active", "retired"}
EXPECTED = {
    "hr": EVERYONE | {"draft", "draft_below", "draft_top", "draft_other"},
    "lead": EVERYONE | {"draft", "draft_below"},  # the team and the teams below it
    "member": EVERYONE,
    "reader": EVERYONE,
    "inactive_lead": set(),
    "anonymous": set(),
    "none": set(),
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_filter_and_check_agree(org, who):
    roles, people = org
    visibility = RoleVisibility.for_user(people[who])

    by_filter = set(visibility.filter(Role.objects.all()).values_list("slug", flat=True))
    by_check = {name for name, role in roles.items() if visibility.can_see(role)}

    assert by_check == EXPECTED[who]
    assert by_filter == {roles[name].slug for name in EXPECTED[who]}


@pytest.mark.parametrize("who", ["hr", "lead", "member", "anonymous"])
def test_related_rows_with_and_without_a_role(org, who):
    roles, people = org
    holder = UserFactory(username="holder")
    membership_add(user=holder, team=roles["draft"].team, role=roles["draft"], acting_user=None)
    visibility = RoleVisibility.for_user(people[who])

    held = Membership.objects.filter(user=holder)
    sees = who in ("hr", "lead")
    assert held.filter(visibility.q("role__")).exists() == sees
    # nullable: rows pointing to no role pass for anyone signed in, hidden roles' rows don't
    plain = Membership.objects.filter(user=people["member"])
    assert plain.filter(visibility.q("role__", nullable=True)).exists() == (who != "anonymous")
    assert held.filter(visibility.q("role__", nullable=True)).exists() == sees
    assert (
        set(visibility.filter(Membership.objects.all(), "role__", nullable=True))
        == (set(Membership.objects.all()) if sees else set(Membership.objects.exclude(user=holder)))
        or who == "anonymous"
    )


def test_the_lead_check_costs_at_most_two_queries_and_only_once(org, django_assert_max_num_queries):
    roles, people = org
    visibility = RoleVisibility.for_user(people["lead"])
    with django_assert_max_num_queries(2):
        assert [visibility.can_see(role) for role in roles.values()].count(True) == 4
        visibility.q("role__")
