import pytest

from roles.models import Duty, Role
from teams.models import Team
from tests.factories import RoleFactory, TeamDutyFactory, TeamFactory, role_with_duties
from tests.pages.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_coverage_page_for_hr_shows_every_core_duty_served(client, hr, seed_org):
    response = signed_in(client, hr).get("/analysis/coverage/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Coverage of core duties · orgstructure</title>" in html
    assert html.count('class="coverage-team"') == 5
    assert "Collects user feedback, analyses user needs, proposes improvements." in html
    assert "Gap: no role serves" not in html


def test_coverage_page_shows_gaps_unmapped_and_empty_roles(client, hr, seed_org):
    Duty.objects.filter(role__slug="marketing-specialist", position=2).update(serves=None)
    RoleFactory(team=Team.objects.get(slug="product"), title="Designer")
    TeamDutyFactory(team=TeamFactory(name="Legal", slug="legal"), position=1, text="Review contracts")

    html = signed_in(client, hr).get("/analysis/coverage/", {"problems": "1"}).content.decode()

    assert html.count('class="coverage-team"') == 3  # product, marketing, legal
    assert "Gap: no role serves this core duty" in html
    assert "Researches the market, analyses competitors, adjusts the marketing strategy." in html
    assert "Designer" in html and "No roles" in html


def test_analysis_pages_refused_for_members_and_scoped_for_leads(client, member, marketing_lead):
    signed_in(client, member)
    assert client.get("/analysis/coverage/").status_code == 403
    assert client.get("/analysis/overlaps/").status_code == 403
    assert client.get("/dashboard/").status_code == 403

    signed_in(client, marketing_lead)
    html = client.get("/analysis/coverage/").content.decode()
    assert html.count('class="coverage-team"') == 1 and "Marketing team" in html
    assert client.get("/analysis/coverage/", {"team": "product"}).status_code == 403
    assert client.get("/dashboard/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, seed_org):
    for url in ("/analysis/coverage/", "/analysis/overlaps/", "/dashboard/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_overlap_page_lists_cross_team_overlaps_with_the_shared_activities_marked(client, hr, seed_org):
    response = signed_in(client, hr).get("/analysis/overlaps/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "at similarity 0.45 or more." in html
    assert "<mark>Collects user feedback</mark>, <mark>analyses user needs</mark>, and raises service quality." in html
    assert "Runs market research, <mark>analyses user feedback</mark>" in html
    assert "different teams" in html
    assert "restates the core duty it serves</span>" not in html
    assert '<label for="id_threshold">' in html
    assert "Mark as intended" in html


def _plain(html):
    return html.replace("<mark>", "").replace("</mark>", "")


def test_overlap_page_threshold_and_filter(client, hr, seed_org):
    signed_in(client, hr)
    serves = client.get("/analysis/overlaps/", {"threshold": "0.4", "relation": "serves"}).content.decode()
    bad = client.get("/analysis/overlaps/", {"threshold": "5"})

    assert "restates the core duty it serves</span>" in serves and "different teams</span>" not in serves
    assert "Collects user feedback, analyses user needs, proposes improvements." in _plain(serves)
    assert bad.status_code == 200 and "Minimum similarity" in bad.content.decode()


def test_overlap_page_escapes_duty_texts(client, hr):
    role_with_duties("Answer <script>alert(1)</script> customer emails within a day", team=TeamFactory())
    role_with_duties("Answers <script>alert(1)</script> customer e-mails within one day", team=TeamFactory())

    html = signed_in(client, hr).get("/analysis/overlaps/").content.decode()

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hr_marks_a_pair_intended_on_the_page(client, hr, seed_org):
    from roles.overlap import overlap_pairs

    signed_in(client, hr)
    before = overlap_pairs(user=hr).count()
    pair = overlap_pairs(user=hr).first()

    response = client.post(
        f"/analysis/overlaps/{pair.pk}/intended/", {"note": "Both own it", "next": "/analysis/overlaps/?threshold=0.5"}
    )
    decided = client.get("/analysis/overlaps/", {"decided": "yes"}).content.decode()

    assert response.status_code == 302 and response["Location"] == "/analysis/overlaps/?threshold=0.5"
    assert overlap_pairs(user=hr).count() == before - 1
    assert "Both own it" in decided and "Take back" in decided
    evil = client.post(f"/analysis/overlaps/{pair.pk}/intended/", {"clear": "1", "next": "https://evil.example/"})
    assert evil["Location"] == "/analysis/overlaps/"
    assert overlap_pairs(user=hr).count() == before


def test_leads_cannot_mark_pairs_intended(client, marketing_lead):
    from roles.overlap import overlap_pairs

    marketing = Team.objects.get(slug="marketing")
    pair = overlap_pairs(user=marketing_lead, scope={marketing.pk}, relations=None).first()

    response = signed_in(client, marketing_lead).post(f"/analysis/overlaps/{pair.pk}/intended/", {"note": "x"})
    html = client.get("/analysis/overlaps/").content.decode()

    assert response.status_code == 403
    assert "Mark as intended" not in html


def test_chinese_overlap_page(client, hr):
    from roles.org_template import org_template_load

    org_template_load(key="ecommerce", lang="zh-hans")
    html = signed_in(client, hr).get("/analysis/overlaps/").content.decode()
    serves = client.get("/analysis/overlaps/", {"relation": "serves"}).content.decode()

    assert "<mark>收集用户反馈</mark>" in html and "进行市场调研,<mark>分析用户反馈</mark>" in html
    assert "促销活动的策划与执行" in html and "市场推广活动的策划与执行" in html
    assert "收集用户反馈,分析用户需求,提出改进建议。" in _plain(serves)


def test_dashboard_for_hr(client, hr, seed_org):
    response = signed_in(client, hr).get("/dashboard/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>HR dashboard · orgstructure</title>" in html
    assert html.count('<svg role="img"') >= 1
    assert "Customer service team" in html
    assert "Coverage gaps" in html and "Open suggestions" in html
    assert "No review cycle is open." in html


def _org(size):
    for _ in range(size):
        team = TeamFactory()
        core = TeamDutyFactory(team=team, position=1, text=f"Core duty of {team.slug}")
        role = role_with_duties(f"Serve {team.slug} well", f"Report about {team.slug}", team=team)
        Duty.objects.filter(role=role, position=1).update(serves=core)
        RoleFactory(team=team)


@pytest.mark.parametrize("size", [3, 30])
def test_analysis_page_query_counts_are_fixed(client, hr, size, django_assert_max_num_queries):
    _org(size)
    signed_in(client, hr)
    with django_assert_max_num_queries(24):
        assert client.get("/analysis/coverage/").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get("/analysis/overlaps/", {"threshold": "0.4", "relation": "all"}).status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get("/dashboard/").status_code == 200
    assert Role.objects.count() == 2 * size
