"""The teams admin as HR managers use it: the tree, moves, core duties, archiving, memberships
and project groups, all saved through ``teams.services``."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from orgstructure.models import ChangeEvent
from roles.models import Role
from teams.models import Membership, ProjectGroup, ProjectGroupMember, Team, TeamDuty
from teams.permissions import TeamPermissions
from tests.admin_forms import form_data
from tests.factories import RoleFactory, TeamDutyFactory, TeamFactory, UserFactory, role_with_duties

pytestmark = pytest.mark.django_db


def change_url(team):
    return reverse("admin:teams_team_change", args=[team.pk])


def opened_form(client, team):
    response = client.get(change_url(team))
    assert response.status_code == 200
    return form_data(response, "team_form")


def core_texts(team):
    return list(TeamDuty.objects.filter(team=team).order_by("position").values_list("text", flat=True))


@pytest.fixture
def tree(db):
    """Company > Product > Growth, and a separate Operations team."""
    company = TeamFactory(name="Company", slug="company", position=1)
    product = TeamFactory(name="Product", slug="product", parent=company, kind="product", position=1)
    growth = TeamFactory(name="Growth", slug="growth", parent=product, position=1)
    operations = TeamFactory(name="Operations", slug="operations", parent=company, kind="operations", position=2)
    return company, product, growth, operations


def test_team_list_shows_the_tree_indented_in_tree_order(client, hr, tree):
    client.force_login(hr)

    response = client.get(reverse("admin:teams_team_changelist"))

    assert response.status_code == 200
    body = response.content.decode()
    positions = [body.index(f"{name}</span>") for name in ("Company", "Product", "Growth", "Operations")]
    assert positions == sorted(positions)
    assert 'class="tree-depth-0">Company' in body  # indented by static/css/admin-extra.css (no inline style)
    assert 'class="tree-depth-2">└ Growth' in body
    assert "css/admin-extra.css" in body
    assert "Archive selected teams" in body
    assert "delete_selected" not in body


def test_team_list_filters_and_search(client, hr, tree):
    _company, product, _growth, _operations = tree
    client.force_login(hr)
    url = reverse("admin:teams_team_changelist")

    by_kind = client.get(url, {"kind__exact": "operations"}).content.decode()
    assert "Operations</span>" in by_kind and "Growth</span>" not in by_kind
    by_parent = client.get(url, {"parent": str(product.pk)}).content.decode()
    assert ">└ Growth</span>" in by_parent and ">└ Product</span>" not in by_parent
    top = client.get(url, {"parent": "none"}).content.decode()
    assert ">Company</span>" in top and "Growth</span>" not in top
    search = client.get(url, {"q": "grow"}).content.decode()
    assert "Growth</span>" in search and ">Company</span>" not in search


@pytest.mark.parametrize("size", [5, 50])
def test_team_list_takes_a_fixed_number_of_queries(client, hr, size, django_assert_max_num_queries):
    parent = None
    for n in range(size):
        team = TeamFactory(parent=parent if n % 2 else None)
        TeamDutyFactory(team=team)
        RoleFactory(team=team)
        parent = team
    client.force_login(hr)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:teams_team_changelist"))

    assert response.status_code == 200
    assert response.content.decode().count('<td class="field-core_duty_count">1</td>') == size


def test_change_page_shows_core_duties_and_parent_choices_as_a_tree(client, hr, tree):
    _company, product, _growth, _operations = tree
    TeamDutyFactory(team=product, text="Own the roadmap")
    client.force_login(hr)

    body = client.get(change_url(product)).content.decode()

    assert "Own the roadmap" in body
    assert "\u2003\u2003Growth" in body  # the parent select is indented by depth


def test_move_under_own_descendant_is_refused_with_a_form_error(client, hr, tree):
    company, product, growth, _operations = tree
    client.force_login(hr)
    data = opened_form(client, product)

    data["parent"] = str(growth.pk)
    data["name"] = "Renamed"
    response = client.post(change_url(product), data)

    assert response.status_code == 200
    assert "A team cannot be moved under itself or one of its own sub-teams." in response.content.decode()
    product.refresh_from_db()
    assert (product.parent_id, product.name) == (company.pk, "Product")
    assert not ChangeEvent.objects.filter(action__in=["team.moved", "team.updated"]).exists()


def test_move_under_itself_is_refused(client, hr, tree):
    company, product, _growth, _operations = tree
    client.force_login(hr)
    data = opened_form(client, product)

    data["parent"] = str(product.pk)
    response = client.post(change_url(product), data)

    assert response.status_code == 200
    assert "A team cannot be moved under itself" in response.content.decode()
    product.refresh_from_db()
    assert product.parent_id == company.pk


def test_move_to_another_parent_goes_through_team_move(client, hr, tree):
    _company, product, growth, operations = tree
    client.force_login(hr)
    data = opened_form(client, growth)

    data["parent"] = str(operations.pk)
    response = client.post(change_url(growth), data)

    assert response.status_code == 302
    growth.refresh_from_db()
    assert growth.parent == operations
    event = ChangeEvent.objects.get(action="team.moved")
    assert (event.actor, event.data["from_parent"], event.data["to_parent"]) == (hr, product.pk, operations.pk)
    assert growth.history.first().history_user == hr


def test_add_team_with_core_duties(client, hr, tree):
    company = tree[0]
    client.force_login(hr)
    data = form_data(client.get(reverse("admin:teams_team_add")), "team_form")

    data.update({"name": "Data platform", "kind": "technology", "parent": str(company.pk)})
    data["core_duties-0-text"] = "Keep the data right"
    response = client.post(reverse("admin:teams_team_add"), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    team = Team.objects.get(name="Data platform")
    assert (team.slug, team.parent, team.kind) == ("data-platform", company, "technology")
    assert core_texts(team) == ["Keep the data right"]
    assert ChangeEvent.objects.filter(action="team.created", actor=hr).exists()


def test_core_duties_reword_reorder_and_remove_keep_ids(client, hr):
    team = TeamFactory()
    a = TeamDutyFactory(team=team, position=1, text="A")
    b = TeamDutyFactory(team=team, position=2, text="B")
    TeamDutyFactory(team=team, position=3, text="C")
    client.force_login(hr)
    data = opened_form(client, team)

    data["core_duties-0-position"], data["core_duties-1-position"] = "2", "1"
    data["core_duties-0-text"] = "A reworded"
    data["core_duties-2-DELETE"] = "on"
    response = client.post(change_url(team), data)

    assert response.status_code == 302
    assert core_texts(team) == ["B", "A reworded"]
    assert TeamDuty.objects.get(team=team, text="A reworded").pk == a.pk
    assert TeamDuty.objects.get(team=team, text="B").pk == b.pk


def test_removing_a_served_core_duty_is_refused_and_nothing_changes(client, hr):
    team = TeamFactory(name="Product")
    core = TeamDutyFactory(team=team, position=1, text="Own the roadmap")
    role = role_with_duties("Plan", team=team)
    duty = role.duties.get()
    duty.serves = core
    duty.save()
    client.force_login(hr)
    data = opened_form(client, team)

    data["name"] = "Renamed"
    data["core_duties-0-DELETE"] = "on"
    response = client.post(change_url(team), data)

    assert response.status_code == 200
    assert "still served by role duties" in response.content.decode()
    team.refresh_from_db()
    assert team.name == "Product"  # the name change of the same save was rolled back
    assert core_texts(team) == ["Own the roadmap"]


def test_archive_action_archives_through_the_service(client, hr, tree):
    _company, product, growth, operations = tree
    RoleFactory(team=operations)
    client.force_login(hr)

    response = client.post(
        reverse("admin:teams_team_changelist"),
        {"action": "archive_selected", "_selected_action": [product.pk, growth.pk, operations.pk]},
        follow=True,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Archived 2 teams." in body
    assert "Operations: Retire this team&#x27;s roles first." in body
    assert set(Team.objects.filter(archived=True).values_list("name", flat=True)) == {"Product", "Growth"}
    assert ChangeEvent.objects.filter(action="team.archived", actor=hr).count() == 2


def test_unarchive_action(client, hr, tree):
    growth = tree[2]
    growth.archived = True
    growth.save()
    client.force_login(hr)

    client.post(
        reverse("admin:teams_team_changelist"), {"action": "unarchive_selected", "_selected_action": [growth.pk]}
    )

    growth.refresh_from_db()
    assert not growth.archived


def test_teams_cannot_be_deleted(client, hr, tree):
    company = tree[0]
    client.force_login(hr)

    assert client.get(reverse("admin:teams_team_delete", args=[company.pk])).status_code == 403
    assert client.post(reverse("admin:teams_team_delete", args=[company.pk]), {"post": "yes"}).status_code == 403
    assert Team.objects.filter(pk=company.pk).exists()


def test_history_is_shown_but_revert_is_refused(client, hr, tree):
    product = tree[1]
    client.force_login(hr)
    data = opened_form(client, product)
    data["name"] = "Product & design"
    client.post(change_url(product), data)

    response = client.get(reverse("admin:teams_team_history", args=[product.pk]))

    assert response.status_code == 200
    assert "Product &amp; design" in response.content.decode()
    record = product.history.last()
    revert_url = reverse("admin:teams_team_simple_history", args=[product.pk, record.history_id])
    assert client.post(revert_url, {"name": "Product"}).status_code == 403
    product.refresh_from_db()
    assert product.name == "Product & design"


def test_staff_without_permissions_gets_403_and_changes_nothing(client, tree):
    product = tree[1]
    client.force_login(UserFactory(username="staff", is_staff=True))

    assert client.get(change_url(product)).status_code == 403
    assert client.get(reverse("admin:teams_team_changelist")).status_code == 403
    assert client.get(reverse("admin:teams_membership_changelist")).status_code == 403
    assert client.post(change_url(product), {"name": "Hacked", "kind": "other"}).status_code == 403
    response = client.post(
        reverse("admin:teams_team_changelist"), {"action": "archive_selected", "_selected_action": [product.pk]}
    )
    assert response.status_code == 403
    assert 'href="/admin/teams/"' not in client.get(reverse("admin:index")).content.decode()
    product.refresh_from_db()
    assert (product.name, product.archived) == ("Product", False)


def test_staff_with_view_permission_only_can_read_but_not_change(client, tree):
    product = tree[1]
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_team"))
    client.force_login(viewer)

    assert client.get(change_url(product)).status_code == 200
    assert client.post(change_url(product), {"name": "Hacked", "kind": "other"}).status_code == 403
    product.refresh_from_db()
    assert product.name == "Product"


def test_non_staff_is_sent_to_login(client, member, tree):
    client.force_login(member)

    response = client.get(change_url(tree[1]))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_membership_add_grants_and_remove_revokes_the_lead_permission(client, hr, tree):
    product = tree[1]
    role = RoleFactory(team=product)
    person = UserFactory(username="lena")
    client.force_login(hr)
    data = form_data(client.get(reverse("admin:teams_membership_add")), "membership_form")

    data.update({"user": str(person.pk), "team": str(product.pk), "role": str(role.pk), "is_lead": "on"})
    response = client.post(reverse("admin:teams_membership_add"), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=person)
    assert (membership.team, membership.role, membership.is_lead) == (product, role, True)
    person = type(person).objects.get(pk=person.pk)  # fresh permission cache
    assert person.has_perm(TeamPermissions.LEAD, product)

    response = client.post(reverse("admin:teams_membership_delete", args=[membership.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    person = type(person).objects.get(pk=person.pk)
    assert not person.has_perm(TeamPermissions.LEAD, product)
    assert ChangeEvent.objects.filter(action="membership.removed", actor=hr).exists()


def test_membership_change_of_lead_flag_and_role_of_another_team_refused(client, hr, tree):
    product, operations = tree[1], tree[3]
    person = UserFactory(username="lena")
    membership = Membership.objects.create(user=person, team=product)
    foreign_role = RoleFactory(team=operations)
    url = reverse("admin:teams_membership_change", args=[membership.pk])
    client.force_login(hr)
    data = form_data(client.get(url), "membership_form")

    data["role"] = str(foreign_role.pk)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "The role must belong to the membership&#x27;s team." in response.content.decode()

    data["role"] = ""
    data["is_lead"] = "on"
    assert client.post(url, data).status_code == 302
    person = type(person).objects.get(pk=person.pk)
    assert person.has_perm(TeamPermissions.LEAD, product)


def test_project_group_with_members_through_services(client, hr, tree):
    product, operations = tree[1], tree[3]
    anna, ben = UserFactory(username="anna"), UserFactory(username="ben")
    client.force_login(hr)
    data = form_data(client.get(reverse("admin:teams_projectgroup_add")), "projectgroup_form")

    data.update({"name": "Checkout revamp", "members-0-user": str(anna.pk), "members-0-home_team": str(product.pk)})
    response = client.post(reverse("admin:teams_projectgroup_add"), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    group = ProjectGroup.objects.get(name="Checkout revamp")
    assert group.slug == "checkout-revamp"
    assert list(group.members.values_list("user__username", flat=True)) == ["anna"]

    url = reverse("admin:teams_projectgroup_change", args=[group.pk])
    data = form_data(client.get(url), "projectgroup_form")
    data["members-0-DELETE"] = "on"
    data.update({"members-1-user": str(ben.pk), "members-1-home_team": str(operations.pk)})
    response = client.post(url, data)

    assert response.status_code == 302
    assert list(group.members.values_list("user__username", flat=True)) == ["ben"]
    assert ChangeEvent.objects.filter(action="project_group.member_removed", actor=hr).exists()
    assert client.get(reverse("admin:teams_projectgroup_delete", args=[group.pk])).status_code == 403

    client.post(
        reverse("admin:teams_projectgroup_changelist"), {"action": "archive_selected", "_selected_action": [group.pk]}
    )
    group.refresh_from_db()
    assert group.archived
    assert ProjectGroupMember.objects.filter(group=group).count() == 1


def test_seed_org_team_pages_render(client, hr, seed_org):
    client.force_login(hr)

    body = client.get(reverse("admin:teams_team_changelist")).content.decode()

    for team in Team.objects.all():
        assert team.name in body
    team = Team.objects.filter(core_duties__isnull=False).first()
    page = client.get(change_url(team)).content.decode()
    assert all(text in page for text in core_texts(team))
    assert Role.objects.exists()
