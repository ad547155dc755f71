import pytest
from django.core.exceptions import PermissionDenied

from roles.analysis import analysis_team_scope, coverage_report, coverage_summary, coverage_team_ids
from roles.models import Duty, Role, RoleStatus
from roles.org_template import org_template_load
from roles.services import role_duties_replace
from teams.models import Team
from teams.services import membership_add
from tests.factories import RoleFactory, TeamDutyFactory, TeamFactory, UserFactory, role_with_duties

pytestmark = pytest.mark.django_db


def report_for(user, scope=None):
    return coverage_report(user=user, team_ids=coverage_team_ids(user=user, scope=scope))


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_seed_organisation_covers_every_core_duty(lang, hr):
    org_template_load(key="ecommerce", lang=lang)

    report = report_for(hr)
    summary = coverage_summary(user=hr, scope=None)

    assert [t.team.slug for t in report] == ["product", "operations", "marketing", "customer-service", "technology"]
    assert all(len(t.core) == 3 and not t.gaps for t in report)
    assert all(len(c.serving) == 1 for t in report for c in t.core)
    assert not any(t.unmapped or t.roles_without_duties or not t.has_roles for t in report)
    assert (summary.teams, summary.core_duties, summary.gaps) == (5, 15, 0)
    assert (summary.unmapped_duties, summary.roles_without_duties, summary.teams_without_roles) == (0, 0, 0)
    assert coverage_team_ids(user=hr, scope=None, problems_only=True) == []


def test_removing_a_serves_link_makes_a_gap_and_an_unmapped_duty(hr, seed_org):
    # given: the customer-service specialist's second duty no longer serves core duty 2
    role = Role.objects.get(slug="customer-service-specialist")
    duties = [{"text": d.text, "serves": d.serves_id} for d in role.duties.order_by("position")]
    duties[1]["serves"] = None
    role_duties_replace(role=role, duties=duties, expected_version=role.version, acting_user=hr)

    # when
    (team,) = coverage_report(user=hr, team_ids=[role.team_id])
    summary = coverage_summary(user=hr, scope=None)

    # then
    assert [g.duty.position for g in team.gaps] == [2]
    assert [d.text for d in team.unmapped] == [duties[1]["text"]]
    assert (summary.gaps, summary.unmapped_duties) == (1, 1)
    assert coverage_team_ids(user=hr, scope=None, problems_only=True) == [role.team_id]


def test_role_without_duties_and_team_without_roles(hr, seed_org):
    product = Team.objects.get(slug="product")
    empty_role = RoleFactory(team=product, title="Designer")
    lonely = TeamFactory(name="Legal", slug="legal", parent=product)
    TeamDutyFactory(team=lonely, position=1, text="Review contracts")

    report = {t.team.slug: t for t in report_for(hr)}
    summary = coverage_summary(user=hr, scope=None)

    assert [r.title for r in report["product"].roles_without_duties] == ["Designer"]
    assert report["legal"].has_roles is False and len(report["legal"].gaps) == 1
    assert (summary.roles_without_duties, summary.teams_without_roles, summary.gaps) == (1, 1, 1)
    assert list(report) == ["product", "legal", "operations", "marketing", "customer-service", "technology"]
    assert empty_role.pk not in {d.role_id for d in Duty.objects.all()}


def test_retired_roles_do_not_cover_and_drafts_only_for_those_who_see_them(hr, seed_org):
    role = Role.objects.get(slug="marketing-specialist")
    role.status = RoleStatus.DRAFT
    role.save()
    lead = UserFactory(username="mlead")
    membership_add(user=lead, team=role.team, is_lead=True, acting_user=None)

    assert coverage_summary(user=hr, scope=None).gaps == 0
    assert coverage_summary(user=lead, scope=analysis_team_scope(lead)).gaps == 0

    role.status = RoleStatus.RETIRED
    role.save()
    assert coverage_summary(user=hr, scope=None).gaps == 3


def test_scope_hr_everything_leads_their_teams_others_refused(hr, member, seed_org):
    marketing = Team.objects.get(slug="marketing")
    sub = TeamFactory(parent=marketing, slug="mk-sub")
    lead = UserFactory(username="mlead")
    membership_add(user=lead, team=marketing, is_lead=True, acting_user=None)

    assert analysis_team_scope(hr) is None
    assert analysis_team_scope(hr, root=marketing) == {marketing.pk, sub.pk}
    assert analysis_team_scope(lead) == {marketing.pk, sub.pk}
    assert analysis_team_scope(lead, root=sub) == {sub.pk}
    with pytest.raises(PermissionDenied):
        analysis_team_scope(lead, root=Team.objects.get(slug="product"))
    with pytest.raises(PermissionDenied):
        analysis_team_scope(member)
    assert [t.team.slug for t in report_for(lead, analysis_team_scope(lead))] == ["marketing", "mk-sub"]


@pytest.mark.parametrize("size", [3, 25])
def test_coverage_query_count_is_fixed(hr, size, django_assert_max_num_queries):
    for _ in range(size):
        team = TeamFactory()
        core = TeamDutyFactory(team=team, position=1)
        role = role_with_duties("First", "Second", team=team)
        Duty.objects.filter(role=role, position=1).update(serves=core)
        RoleFactory(team=team)
    # tree 1 + problem teams 4 + report 4 + summary 6 + the HR permission check 2
    with django_assert_max_num_queries(17):
        ids = coverage_team_ids(user=hr, scope=None, problems_only=True)
        coverage_report(user=hr, team_ids=ids)
        coverage_summary(user=hr, scope=None)
