import pytest

from roles.models import Role, RoleStatus
from roles.services import role_duties_replace
from teams.models import ProjectGroup, ProjectGroupMember, Team
from teams.services import membership_add
from tests.factories import RoleFactory, TeamFactory, UserFactory, role_with_duties
from tests.pages.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_team_page_shows_core_duties_sub_teams_roles_members_and_project_groups(client, member, seed_org):
    team = Team.objects.get(slug="customer-service")
    role = Role.objects.get(slug="customer-service-specialist")
    sub = TeamFactory(parent=team, name="售后组", slug="after-sales")
    holder = UserFactory(username="wang", first_name="王", last_name="芳")
    membership_add(user=holder, team=team, role=role, acting_user=None)
    group = ProjectGroup.objects.create(name="Checkout revamp", slug="checkout", purpose="Fewer abandoned carts")
    ProjectGroupMember.objects.create(group=group, user=holder, home_team=team, role_in_group="Voice of the customer")

    response = signed_in(client, member).get("/teams/customer-service/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Customer service team · orgstructure</title>" in html
    assert "Maintains user relationships and raises satisfaction and loyalty." in html
    assert sub.name in html and "/teams/after-sales/" in html
    assert f"/roles/{role.pk}/" in html and "1 / 1" in html and "王 芳" in html
    assert "Checkout revamp" in html and "Voice of the customer" in html


def test_team_page_hides_other_teams_drafts_and_archived_teams(client, member, hr, seed_org):
    team = Team.objects.get(slug="product")
    RoleFactory(team=team, title="Secret draft", status=RoleStatus.DRAFT)
    archived = TeamFactory(slug="old", archived=True)

    assert "Secret draft" not in signed_in(client, member).get("/teams/product/").content.decode()
    assert client.get("/teams/old/").status_code == 404
    assert client.get("/teams/nope/").status_code == 404
    assert "Secret draft" in signed_in(client, hr).get("/teams/product/").content.decode()
    assert client.get(f"/teams/{archived.slug}/").status_code == 200


@pytest.mark.parametrize("size", [2, 15])
def test_team_page_query_count_is_fixed(client, member, size, django_assert_max_num_queries):
    team = TeamFactory(slug="big")
    for i in range(size):
        TeamFactory(parent=team)
        role = role_with_duties("A", "B", team=team)
        membership_add(user=UserFactory(), team=team, role=role, is_lead=i == 0, acting_user=None)
    signed_in(client, member)
    with django_assert_max_num_queries(12):
        assert client.get("/teams/big/").status_code == 200


def _role_with_history():
    role = role_with_duties("收集用户反馈,分析用户需求,提出改进建议。", "维护用户关系,提升用户满意度。")
    role_duties_replace(
        role=role,
        duties=[
            {"id": role.duties.get(position=1).pk, "text": "收集用户反馈,分析用户需求,提升服务质量。"},
            {"text": "维护用户关系,提升用户满意度。"},
        ],
        expected_version=1,
        acting_user=None,
        reason="Align with the team",
    )
    role_duties_replace(
        role=role,
        duties=[{"text": "维护用户关系,提升用户满意度。"}, {"text": "Answer <b>tickets</b> within a day"}],
        expected_version=2,
        acting_user=None,
    )
    return role


def test_history_shows_each_revision_against_the_previous_with_inline_changes(client, member):
    role = _role_with_history()

    response = signed_in(client, member).get(f"/roles/{role.pk}/history/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="revision"') == 3
    assert "Align with the team" in html
    # r1 → r2 rewords one duty: the changed characters are marked.
    assert "<del>出</del>" in html or "<del>提出改进建议</del>" in html or "<del>出改进建议</del>" in html
    assert "<ins>" in html and "服务质量" in html
    assert "Answer &lt;b&gt;tickets&lt;/b&gt; within a day" in html and "<b>tickets</b>" not in html
    assert '<label for="id_old">' in html and '<label for="id_new">' in html


def test_history_compares_any_two_revisions(client, member):
    role = _role_with_history()
    signed_in(client, member)

    response = client.get(f"/roles/{role.pk}/history/", {"old": 1, "new": 3})
    same = client.get(f"/roles/{role.pk}/history/", {"old": 2, "new": 2})

    html = response.content.decode()
    assert "Revision 1 → revision 3" in html
    assert "1 added, 1 removed" in html
    assert "Choose two different revisions." in same.content.decode()


def test_history_of_a_draft_is_hidden_from_others_and_needs_sign_in(client, member):
    role = role_with_duties("A duty", status=RoleStatus.DRAFT)

    assert client.get(f"/roles/{role.pk}/history/").status_code == 302
    assert signed_in(client, member).get(f"/roles/{role.pk}/history/").status_code == 404


@pytest.mark.parametrize("revisions", [2, 12])
def test_history_query_count_is_fixed(client, member, revisions, django_assert_max_num_queries):
    role = role_with_duties("Duty 0")
    for n in range(1, revisions):
        role_duties_replace(role=role, duties=[{"text": f"Duty {n}"}], expected_version=n, acting_user=None)
    signed_in(client, member)
    with django_assert_max_num_queries(10):
        assert client.get(f"/roles/{role.pk}/history/", {"old": 1, "new": revisions}).status_code == 200


def test_role_page_shows_clear_and_concise_issues_to_hr_and_leads_only(client, hr):
    from teams.services import membership_add
    from tests.factories import UserFactory, role_with_duties

    role = role_with_duties("收集用户反馈,分析用户需求,提出改进建议", "收集用户反馈,分析用户需求,提出改进意见")
    lead, member = UserFactory(), UserFactory()
    membership_add(user=lead, team=role.team, is_lead=True, acting_user=None)
    url = f"/roles/{role.pk}/"

    for user, shown in ((hr, True), (lead, True), (member, False)):
        client.force_login(user)
        body = client.get(url).content.decode()
        assert ("Near-duplicate duties" in body) is shown, user
        assert ("Duties 1 and 2 say nearly the same thing" in body) is shown, user
