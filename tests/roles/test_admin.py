"""The roles admin as HR managers use it: duty lists saved as revisions through the service,
stale forms refused without overwriting anything, revisions shown as diffs and restored."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from roles.models import Duty, Role, RoleRevision, RoleStatus
from roles.services import role_duties_replace, role_update
from teams.models import TeamDuty
from tests.admin_forms import form_data
from tests.factories import RoleFactory, TeamDutyFactory, TeamFactory, UserFactory, role_with_duties

pytestmark = pytest.mark.django_db


def change_url(role):
    return reverse("admin:roles_role_change", args=[role.pk])


def duty_rows(data):
    """Indexes of the duty rows in a form's data (existing and extra)."""
    return range(int(data["duties-TOTAL_FORMS"]))


def duties_of(role):
    return list(Duty.objects.filter(role=role).order_by("position").values_list("text", flat=True))


def snapshot_texts(revision):
    return [d["text"] for d in revision.duties]


def opened_form(client, role):
    response = client.get(change_url(role))
    assert response.status_code == 200
    return form_data(response, "role_form")


def test_role_list_shows_team_status_version_and_duty_count(client, hr):
    role = role_with_duties("Plan", "Ship", "Measure", title="Product manager")
    client.force_login(hr)

    response = client.get(reverse("admin:roles_role_changelist"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Product manager" in body
    assert role.team.name in body
    assert '<td class="field-duty_count">3</td>' in body
    assert '<td class="field-version">1</td>' in body
    assert "Retire selected roles" in body
    assert "delete_selected" not in body


@pytest.mark.parametrize("size", [5, 50])
def test_role_list_takes_a_fixed_number_of_queries(client, hr, size, django_assert_max_num_queries):
    for n in range(size):
        team = TeamFactory()
        TeamDutyFactory(team=team)
        role_with_duties(f"Duty a{n}", f"Duty b{n}", team=team)
    client.force_login(hr)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:roles_role_changelist"))

    assert response.status_code == 200
    assert response.content.decode().count('class="field-duty_count"') == size


def test_role_list_search_finds_roles_by_duty_text(client, hr):
    role_with_duties("Write the PRD", title="Product manager")
    role_with_duties("Keep servers up", title="SRE")
    client.force_login(hr)

    response = client.get(reverse("admin:roles_role_changelist"), {"q": "PRD"})

    body = response.content.decode()
    assert "Product manager" in body
    assert "SRE" not in body


def test_change_page_shows_duties_version_and_history_link(client, hr):
    role = role_with_duties("Write the PRD", "Run launches")
    client.force_login(hr)

    response = client.get(change_url(role))

    body = response.content.decode()
    assert "Write the PRD" in body and "Run launches" in body
    assert 'name="expected_version" value="1"' in body
    assert "History of the duty list" in body
    assert f"?role__id__exact={role.pk}" in body


def test_reword_add_and_remove_saves_one_revision_through_the_service(client, hr):
    role = role_with_duties("Write the PRD", "Run launches", "Monitor metrics")
    kept_id = Duty.objects.get(role=role, text="Write the PRD").pk
    client.force_login(hr)
    data = opened_form(client, role)

    # given: reword the first duty, remove the second, add a new one at the end
    data["duties-0-text"] = "Write and maintain the PRD"
    data["duties-1-DELETE"] = "on"
    data["duties-3-text"] = "Talk to customers"
    data["duties-3-position"] = "9"
    data["reason"] = "Quarterly tidy-up"
    response = client.post(change_url(role), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    role.refresh_from_db()
    assert role.version == 2
    assert duties_of(role) == ["Write and maintain the PRD", "Monitor metrics", "Talk to customers"]
    assert Duty.objects.get(role=role, position=1).pk == kept_id  # the posted id is kept
    assert RoleRevision.objects.filter(role=role).count() == 2
    revision = RoleRevision.objects.get(role=role, number=2)
    assert snapshot_texts(revision) == duties_of(role)
    assert [d["position"] for d in revision.duties] == [1, 2, 3]
    assert revision.author == hr
    assert revision.source == "admin"
    assert revision.reason == "Quarterly tidy-up"


def test_reorder_by_position_saves_one_revision(client, hr):
    role = role_with_duties("A first", "B second", "C third")
    ids = list(Duty.objects.filter(role=role).order_by("position").values_list("pk", flat=True))
    client.force_login(hr)
    data = opened_form(client, role)

    data["duties-0-position"], data["duties-2-position"] = "3", "1"
    response = client.post(change_url(role), data)

    assert response.status_code == 302
    role.refresh_from_db()
    assert role.version == 2
    assert duties_of(role) == ["C third", "B second", "A first"]
    assert list(Duty.objects.filter(role=role).order_by("position").values_list("pk", flat=True)) == ids[::-1]
    assert snapshot_texts(role.revisions.get(number=2)) == ["C third", "B second", "A first"]


def test_saving_an_unchanged_form_writes_no_revision(client, hr):
    role = role_with_duties("A first", "B second")
    client.force_login(hr)

    response = client.post(change_url(role), opened_form(client, role))

    assert response.status_code == 302
    role.refresh_from_db()
    assert role.version == 1
    assert role.revisions.count() == 1


def test_field_changes_go_through_role_update_without_a_revision(client, hr):
    role = role_with_duties("A first", title="Old title")
    client.force_login(hr)
    data = opened_form(client, role)

    data["title"] = "New title"
    data["headcount"] = "3"
    response = client.post(change_url(role), data)

    assert response.status_code == 302
    role.refresh_from_db()
    assert (role.title, role.headcount, role.version) == ("New title", 3, 1)
    assert role.history.first().history_user == hr


def test_serves_can_link_a_core_duty_of_the_roles_team(client, hr):
    role = role_with_duties("A first")
    core = TeamDutyFactory(team=role.team, text="Own the roadmap")
    client.force_login(hr)
    data = opened_form(client, role)
    assert "Own the roadmap" in client.get(change_url(role)).content.decode()

    data["duties-0-serves"] = str(core.pk)
    response = client.post(change_url(role), data)

    assert response.status_code == 302
    assert Duty.objects.get(role=role).serves == core
    assert RoleRevision.objects.get(role=role, number=2).duties[0]["serves_text"] == "Own the roadmap"


def test_serves_outside_the_team_is_refused_with_a_form_error(client, hr):
    role = role_with_duties("A first")
    other = TeamDutyFactory(team=TeamFactory(), text="Someone else's duty")
    client.force_login(hr)
    data = opened_form(client, role)

    data["duties-0-serves"] = str(other.pk)
    data["duties-0-text"] = "Reworded"
    response = client.post(change_url(role), data)

    assert response.status_code == 200
    assert "A duty can only serve a core duty of the role&#x27;s own team." in response.content.decode()
    role.refresh_from_db()
    assert role.version == 1
    assert duties_of(role) == ["A first"]
    assert Duty.objects.get(role=role).serves is None


def test_duplicate_and_empty_duties_are_refused_on_their_rows(client, hr):
    role = role_with_duties("A first", "B second")
    client.force_login(hr)
    data = opened_form(client, role)

    data["duties-1-text"] = "a  FIRST"
    response = client.post(change_url(role), data)

    assert response.status_code == 200
    assert "This duty repeats duty 1." in response.content.decode()
    assert duties_of(role) == ["A first", "B second"]


def test_stale_form_is_refused_and_overwrites_nothing(client, hr):
    role = role_with_duties("A first", "B second", title="Product manager")
    other_editor = UserFactory(username="other", first_name="Olga", last_name="Other", is_staff=True)
    other_editor.user_permissions.add(Permission.objects.get(codename="change_role"))
    client.force_login(hr)
    data = opened_form(client, role)  # version 1
    assert data["expected_version"] == "1"

    # someone else saves in between
    role_duties_replace(
        role=role,
        duties=[{"text": "Their duty"}],
        expected_version=1,
        acting_user=other_editor,
        source="api",
    )
    # we post the old form, with a new title and a changed list
    data["title"] = "My title"
    data["duties-0-text"] = "My duty"
    response = client.post(change_url(role), data)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Product manager was changed by Olga Other since you opened it" in body
    assert "you saw version 1, it is now 2" in body
    role.refresh_from_db()
    assert (role.title, role.version) == ("Product manager", 2)
    assert duties_of(role) == ["Their duty"]
    assert role.revisions.count() == 2


def test_stale_form_is_refused_when_only_the_role_fields_changed(client, hr):
    role = role_with_duties("A first", title="Product manager")
    client.force_login(hr)
    data = opened_form(client, role)

    role_update(role=role, headcount=4, acting_user=UserFactory(username="boss", is_superuser=True))
    data["title"] = "My title"
    response = client.post(change_url(role), data)

    assert response.status_code == 200
    assert "was changed by" in response.content.decode()
    role.refresh_from_db()
    assert (role.title, role.headcount) == ("Product manager", 4)


def test_a_service_refusal_is_a_form_error_and_rolls_back_the_whole_save(client, hr):
    role = role_with_duties("A first", title="Old title", status=RoleStatus.ACTIVE)
    role_update(role=role, status=RoleStatus.RETIRED, acting_user=None)
    client.force_login(hr)
    data = opened_form(client, role)

    # a retired role's duties cannot change (ConflictError from role_duties_replace), and the
    # title change made in the same save must not stay
    data["title"] = "New title"
    data["duties-0-text"] = "Changed"
    response = client.post(change_url(role), data)

    assert response.status_code == 200
    assert "A retired role&#x27;s duties cannot be changed" in response.content.decode()
    role.refresh_from_db()
    assert (role.title, role.version) == ("Old title", 1)
    assert duties_of(role) == ["A first"]


def test_add_role_with_duties_creates_revision_one(client, hr):
    team = TeamFactory(name="Product")
    client.force_login(hr)
    response = client.get(reverse("admin:roles_role_add"))
    data = form_data(response, "role_form")

    data.update({"team": str(team.pk), "title": "Product manager", "headcount": "2", "status": "active"})
    data["duties-0-text"] = "Write the PRD"
    data["duties-1-text"] = "Run launches"
    data["duties-TOTAL_FORMS"] = "2"
    response = client.post(reverse("admin:roles_role_add"), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    role = Role.objects.get(title="Product manager")
    assert (role.team, role.slug, role.headcount, role.version) == (team, "product-manager", 2, 1)
    assert duties_of(role) == ["Write the PRD", "Run launches"]
    assert role.revisions.get().author == hr


def test_retire_action_retires_and_delete_is_not_offered(client, hr):
    role = role_with_duties("A first")
    client.force_login(hr)

    response = client.post(
        reverse("admin:roles_role_changelist"), {"action": "retire_selected", "_selected_action": [role.pk]}
    )

    assert response.status_code == 302
    role.refresh_from_db()
    assert role.status == RoleStatus.RETIRED
    assert client.get(reverse("admin:roles_role_delete", args=[role.pk])).status_code == 403
    assert Role.objects.filter(pk=role.pk).exists()


def test_revision_page_shows_snapshot_and_escaped_diff(client, hr):
    role = role_with_duties("Keep", "Old wording", "Drop me", "Move me")
    role_duties_replace(
        role=role,
        # the admin's form sends the ids of the duties it keeps: "Old wording" is reworded
        duties=[
            {"text": "Move me"},
            {"text": "Keep"},
            {"id": role.duties.get(text="Old wording").pk, "text": "New <b>wording</b>"},
        ],
        expected_version=1,
        acting_user=hr,
        source="admin",
    )
    revision = role.revisions.get(number=2)
    client.force_login(hr)

    response = client.get(reverse("admin:roles_rolerevision_change", args=[revision.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "New &lt;b&gt;wording&lt;/b&gt;" in body
    assert "New <b>wording</b>" not in body
    assert "<del>Old wording</del> → <ins>New &lt;b&gt;wording&lt;/b&gt;</ins>" in body
    assert 'class="duty-diff-changed"' in body
    assert 'class="duty-diff-removed"' in body and "<del>Drop me</del>" in body
    assert 'class="duty-diff-moved"' in body and "from position 4 to 1" in body
    assert "Compared with revision 1." in body
    assert "Restore this version" not in body  # it is the current one

    first = client.get(reverse("admin:roles_rolerevision_change", args=[role.revisions.get(number=1).pk]))
    assert first.content.decode().count('class="duty-diff-added"') == 4
    assert "Restore this version" in first.content.decode()


def test_revision_list_and_its_query_count(client, hr, django_assert_max_num_queries):
    for n in range(5):
        role_with_duties(f"Duty {n}")
    client.force_login(hr)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:roles_rolerevision_changelist"))

    assert response.status_code == 200
    assert response.content.decode().count('class="field-number"') == 5
    assert client.get(reverse("admin:roles_rolerevision_add")).status_code == 403


def test_restore_a_revision_makes_a_new_restore_revision(client, hr):
    role = role_with_duties("A first", "B second")
    role_duties_replace(
        role=role, duties=[{"text": "Something else"}], expected_version=1, acting_user=hr, source="admin"
    )
    first = role.revisions.get(number=1)
    client.force_login(hr)
    page = client.get(reverse("admin:roles_rolerevision_change", args=[first.pk]))
    assert "Restore this version" in page.content.decode()
    data = form_data(page, "restore-form")
    assert data["expected_version"] == "2"

    response = client.post(reverse("admin:roles_rolerevision_restore", args=[first.pk]), data)

    assert response.status_code == 302
    role.refresh_from_db()
    assert role.version == 3
    assert duties_of(role) == ["A first", "B second"]
    restored = role.revisions.get(number=3)
    assert (restored.source, restored.restored_from, restored.author) == ("restore", first, hr)


def test_restore_with_a_stale_version_changes_nothing(client, hr):
    role = role_with_duties("A first")
    role_duties_replace(role=role, duties=[{"text": "B"}], expected_version=1, acting_user=hr, source="admin")
    first = role.revisions.get(number=1)
    client.force_login(hr)

    response = client.post(
        reverse("admin:roles_rolerevision_restore", args=[first.pk]), {"expected_version": "1"}, follow=True
    )

    assert response.status_code == 200
    assert "since you opened it" in response.content.decode()
    role.refresh_from_db()
    assert (role.version, duties_of(role)) == (2, ["B"])


def test_restore_needs_change_permission_and_post(client, hr):
    role = role_with_duties("A first")
    role_duties_replace(role=role, duties=[{"text": "B"}], expected_version=1, acting_user=hr, source="admin")
    first = role.revisions.get(number=1)
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_role", "view_rolerevision"]))
    url = reverse("admin:roles_rolerevision_restore", args=[first.pk])

    client.force_login(viewer)
    assert client.get(reverse("admin:roles_rolerevision_change", args=[first.pk])).status_code == 200
    assert client.post(url, {"expected_version": "2"}).status_code == 403
    client.force_login(hr)
    assert client.get(url).status_code == 405
    role.refresh_from_db()
    assert role.version == 2


def test_staff_without_permissions_gets_403_and_changes_nothing(client):
    role = role_with_duties("A first", title="Product manager")
    staff = UserFactory(username="staff", is_staff=True)
    client.force_login(staff)

    assert client.get(change_url(role)).status_code == 403
    assert client.get(reverse("admin:roles_role_changelist")).status_code == 403
    assert client.get(reverse("admin:roles_rolerevision_changelist")).status_code == 403
    response = client.post(change_url(role), {"title": "Hacked", "expected_version": "1"})
    assert response.status_code == 403
    assert 'href="/admin/roles/"' not in client.get(reverse("admin:index")).content.decode()
    role.refresh_from_db()
    assert (role.title, role.version) == ("Product manager", 1)


def test_anonymous_and_non_staff_are_sent_to_the_login_page(client, member):
    role = role_with_duties("A first")
    response = client.get(change_url(role))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

    client.force_login(member)
    response = client.post(change_url(role), {"title": "Hacked"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    role.refresh_from_db()
    assert role.title != "Hacked"


def test_seed_org_pages_render(client, hr, seed_org):
    client.force_login(hr)
    role = Role.objects.select_related("team").first()

    response = client.get(change_url(role))

    assert response.status_code == 200
    body = response.content.decode()
    assert role.title in body
    for core in TeamDuty.objects.filter(team=role.team):
        assert core.text in body
    assert client.get(reverse("admin:roles_role_add")).status_code == 200


def test_unrelated_role_is_not_touched(client, hr):
    role = role_with_duties("A first")
    other = RoleFactory(team=role.team)
    client.force_login(hr)
    data = opened_form(client, role)

    data["duties-0-text"] = "Changed"
    client.post(change_url(role), data)

    other.refresh_from_db()
    assert other.version == 0


def test_role_list_and_page_show_clear_and_concise_issues(client, hr):
    from tests.factories import role_with_duties

    fine = role_with_duties("Plans the roadmap", "Ships monthly releases", title="Fine role")
    twins = role_with_duties(
        "收集用户反馈,分析用户需求,提出改进建议", "收集用户反馈,分析用户需求,提出改进意见", title="Twins role"
    )
    client.force_login(hr)

    body = client.get("/admin/roles/role/").content.decode()

    rows = body.split("<tr")
    fine_row = next(row for row in rows if ">Fine role</a>" in row)
    twins_row = next(row for row in rows if ">Twins role</a>" in row)
    assert "quality-ok" in fine_row
    assert "Near-duplicate duties" in twins_row and "Duties 1 and 2 say nearly the same thing" in twins_row
    page = client.get(f"/admin/roles/role/{twins.pk}/change/").content.decode()
    assert "Near-duplicate duties" in page
    assert "The duty list is clear and concise." in client.get(f"/admin/roles/role/{fine.pk}/change/").content.decode()
