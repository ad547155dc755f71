import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from orgstructure.models import ChangeEvent
from roles.services import role_duties_replace
from teams.models import Membership, Team, TeamDuty
from teams.permissions import led_team_ids, user_leads_team
from teams.services import (
    membership_add,
    membership_remove,
    membership_set_lead,
    membership_update,
    project_group_create,
    project_group_member_add,
    team_archive,
    team_core_duties_replace,
    team_create,
    team_move,
    team_update,
)
from tests.factories import RoleFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_team_create_places_team_after_its_siblings_and_records_history(hr):
    root = team_create(name="Company", acting_user=hr)
    first = team_create(name="Product", parent=root, acting_user=hr)
    second = team_create(name="运营团队", parent=root, acting_user=hr)

    assert first.slug == "product"
    assert second.slug == "team"  # slugify drops Chinese; a fallback keeps it valid and unique
    assert second.position > first.position
    assert first.history.get().history_user == hr
    assert ChangeEvent.objects.filter(action="team.created", object_id=first.pk, actor=hr).exists()


def test_team_create_refuses_duplicate_slug_with_a_field_error(hr):
    team_create(name="Product", slug="product", acting_user=hr)
    with pytest.raises(ValidationError) as exc:
        team_create(name="Product 2", slug="product", acting_user=hr)
    assert "slug" in exc.value.message_dict
    assert Team.objects.count() == 1


def test_team_move_changes_parent_and_keeps_the_subtree(hr):
    a, b = TeamFactory(), TeamFactory()
    child = TeamFactory(parent=a)
    grandchild = TeamFactory(parent=child)

    team_move(team=child, new_parent=b, acting_user=hr)

    child.refresh_from_db()
    assert child.parent == b
    assert list(Team.objects.ancestors(grandchild).values_list("pk", flat=True)) == [b.pk, child.pk]
    event = ChangeEvent.objects.get(action="team.moved")
    assert event.data["from_parent"] == a.pk and event.data["to_parent"] == b.pk


@pytest.mark.parametrize("target", ["self", "child", "grandchild"])
def test_team_move_under_itself_or_a_descendant_is_refused_and_changes_nothing(hr, target):
    root = TeamFactory()
    team = TeamFactory(parent=root)
    child = TeamFactory(parent=team)
    grandchild = TeamFactory(parent=child)
    new_parent = {"self": team, "child": child, "grandchild": grandchild}[target]
    history_before = team.history.count()

    with pytest.raises(ValidationError) as exc:
        team_move(team=team, new_parent=new_parent, acting_user=hr)

    assert "parent" in exc.value.message_dict
    team.refresh_from_db()
    assert team.parent == root
    assert team.history.count() == history_before
    assert not ChangeEvent.objects.filter(action="team.moved").exists()


def test_team_move_to_the_top_level(hr):
    team = TeamFactory(parent=TeamFactory())
    team_move(team=team, new_parent=None, acting_user=hr)
    team.refresh_from_db()
    assert team.parent is None


def test_team_update_refuses_fields_it_does_not_own(hr):
    team = TeamFactory(name="Before")
    with pytest.raises(ValidationError):
        team_update(team=team, name="After", parent=None, acting_user=hr)
    team.refresh_from_db()
    assert team.name == "Before"


def test_team_writes_need_permission(member):
    team = TeamFactory(name="Before")
    with pytest.raises(PermissionDenied):
        team_update(team=team, name="After", acting_user=member)
    with pytest.raises(PermissionDenied):
        team_create(name="New", acting_user=member)
    team.refresh_from_db()
    assert team.name == "Before"
    assert Team.objects.count() == 1


def test_archive_refuses_a_team_with_active_roles_or_children(hr):
    team = TeamFactory()
    RoleFactory(team=team)
    with pytest.raises(ValidationError):
        team_archive(team=team, acting_user=hr)
    parent = TeamFactory()
    TeamFactory(parent=parent)
    with pytest.raises(ValidationError):
        team_archive(team=parent, acting_user=hr)
    empty = TeamFactory()
    assert team_archive(team=empty, acting_user=hr).archived is True


def test_core_duties_replace_orders_keeps_ids_and_refuses_removing_a_served_duty(hr):
    team = TeamFactory()
    first, second = team_core_duties_replace(team=team, duties=[{"text": "Plan"}, {"text": "Ship"}], acting_user=hr)

    reordered = team_core_duties_replace(
        team=team, duties=[{"text": "Ship"}, {"text": "Plan better", "id": first.pk}, {"text": "Learn"}], acting_user=hr
    )

    assert [(d.pk, d.position, d.text) for d in reordered[:2]] == [(second.pk, 1, "Ship"), (first.pk, 2, "Plan better")]
    assert TeamDuty.objects.filter(team=team).count() == 3

    role = RoleFactory(team=team)
    role_duties_replace(role=role, duties=[{"text": "Do", "serves": second.pk}], expected_version=0, acting_user=hr)
    with pytest.raises(ValidationError) as exc:
        team_core_duties_replace(team=team, duties=[{"text": "Plan better", "id": first.pk}], acting_user=hr)
    assert "still served" in str(exc.value)
    assert TeamDuty.objects.filter(team=team).count() == 3


@pytest.mark.parametrize(
    "duties",
    [
        [{"text": ""}],
        [{"text": "   "}],
        [{"text": "x" * 501}],
        [{"text": "Same"}, {"text": "same"}],
        [{"text": "bad\x00byte"}],
        [{"text": 42}],
        [{"text": "ok", "id": 999999}],
    ],
)
def test_core_duties_replace_refuses_bad_lists_and_changes_nothing(hr, duties):
    team = TeamFactory()
    team_core_duties_replace(team=team, duties=[{"text": "Keep me"}], acting_user=hr)
    with pytest.raises(ValidationError):
        team_core_duties_replace(team=team, duties=duties, acting_user=hr)
    assert list(TeamDuty.objects.filter(team=team).values_list("text", flat=True)) == ["Keep me"]


def test_lead_flag_grants_and_revokes_the_guardian_permission_on_the_subtree(hr):
    team = TeamFactory()
    sub = TeamFactory(parent=team)
    other = TeamFactory()
    user = UserFactory()

    membership = membership_add(user=user, team=team, is_lead=True, acting_user=hr)
    assert user_leads_team(user, team)
    assert user_leads_team(user, sub)  # a permission on a team covers its subtree
    assert not user_leads_team(user, other)
    assert led_team_ids(user) == {team.pk, sub.pk}

    membership_set_lead(membership=membership, is_lead=False, acting_user=hr)
    assert not user_leads_team(user, team)

    membership_update(membership=membership, is_lead=True, acting_user=hr)
    assert user_leads_team(user, team)
    membership_remove(membership=membership, acting_user=hr)
    assert not user_leads_team(user, team)
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_membership_role_must_belong_to_the_team(hr):
    team, other = TeamFactory(), TeamFactory()
    foreign_role = RoleFactory(team=other)
    with pytest.raises(ValidationError):
        membership_add(user=UserFactory(), team=team, role=foreign_role, acting_user=hr)
    assert not Membership.objects.exists()


def test_membership_twice_is_refused(hr):
    team, user = TeamFactory(), UserFactory()
    membership_add(user=user, team=team, acting_user=hr)
    with pytest.raises(ValidationError):
        membership_add(user=user, team=team, acting_user=hr)


def test_project_group_spans_teams(hr):
    product, tech = TeamFactory(), TeamFactory()
    group = project_group_create(name="Checkout revamp", purpose="Fewer abandoned carts", owner=hr, acting_user=hr)
    a, b = UserFactory(), UserFactory()
    project_group_member_add(group=group, user=a, home_team=product, acting_user=hr)
    project_group_member_add(group=group, user=b, home_team=tech, role_in_group="Engineer", acting_user=hr)
    assert set(group.members.values_list("home_team", flat=True)) == {product.pk, tech.pk}
    with pytest.raises(ValidationError):
        project_group_member_add(group=group, user=a, home_team=tech, acting_user=hr)


def test_project_group_dates_are_checked(hr):
    import datetime

    with pytest.raises(ValidationError):
        project_group_create(
            name="Backwards",
            starts_on=datetime.date(2026, 5, 1),
            ends_on=datetime.date(2026, 4, 1),
            acting_user=hr,
        )
