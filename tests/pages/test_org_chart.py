from xml.etree import ElementTree

import pytest

from roles.chart import CHART_NODE_BUDGET
from roles.models import Role, RoleStatus
from roles.org_template import org_template_load
from teams.models import Team
from teams.services import membership_add
from tests.factories import RoleFactory, TeamDutyFactory, TeamFactory, UserFactory
from tests.pages.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_asked_to_sign_in(client, seed_org):
    response = client.get("/")

    assert response.status_code == 200
    assert b"Sign in to see the organisation" in response.content
    assert b"Product team" not in response.content


def test_member_sees_the_seed_as_a_chart_with_leads_core_duties_roles_and_holders(client, member, seed_org):
    team = Team.objects.get(slug="customer-service")
    role = Role.objects.get(slug="customer-service-specialist")
    holder = UserFactory(username="wang", first_name="王", last_name="芳")
    membership_add(user=holder, team=team, role=role, acting_user=None)
    membership_add(
        user=UserFactory(username="zhao", first_name="赵", last_name="磊"), team=team, is_lead=True, acting_user=None
    )

    response = signed_in(client, member).get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Organisation · orgstructure</title>" in html
    assert 'class="orgchart"' in html and 'class="oc-roots"' in html
    assert html.count('class="oc-box"') == 5
    assert 'id="team-customer-service"' in html
    assert "Collects user feedback, analyses user needs, and raises service quality." in html
    assert "Customer service specialist" in html and "1/1" in html
    assert "王 芳" in html and "Leads: 赵 磊" in html
    assert "/org/chart.svg" in html and "/api/v1/org-chart/?format=csv" in html


def test_chinese_seed_and_long_texts_render_escaped(client, member):
    org_template_load(key="ecommerce", lang="zh-hans")
    team = Team.objects.get(slug="product")
    TeamDutyFactory(team=team, position=4, text="<script>alert(1)</script>" + "很长的职责描述" * 60)

    html = signed_in(client, member).get("/").content.decode()

    assert "产品团队" in html and "收集用户反馈,分析用户需求,提升服务质量。" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_draft_roles_only_for_hr_and_the_team_leads(client, member, hr, marketing_lead):
    draft = RoleFactory(team=Team.objects.get(slug="marketing"), title="Growth hacker", status=RoleStatus.DRAFT)

    assert draft.title not in signed_in(client, member).get("/").content.decode()
    assert draft.title in signed_in(client, marketing_lead).get("/").content.decode()
    assert draft.title in signed_in(client, hr).get("/").content.decode()


def _deep_org(width, depth=3):
    """``width`` top-level teams, each with ``width`` children, down to ``depth`` levels."""
    level = [None]
    for _ in range(depth):
        nxt = []
        for parent in level:
            for _ in range(width):
                team = TeamFactory(parent=parent)
                TeamDutyFactory(team=team, position=1)
                RoleFactory(team=team)
                nxt.append(team)
        level = nxt


def test_big_organisations_render_the_top_and_load_sub_trees_lazily(client, member):
    _deep_org(6)  # 6 + 36 + 216 teams

    html = signed_in(client, member).get("/").content.decode()

    assert html.count('class="oc-box"') <= CHART_NODE_BUDGET
    assert "data-subtree-url=" in html and "Open this part of the chart" in html
    deep = Team.objects.filter(parent__parent__isnull=False, parent__isnull=False).first()
    fragment = client.get(f"/org/teams/{deep.parent.slug}/subtree/")
    assert fragment.status_code == 200
    assert fragment.content.decode().startswith('<ul class="oc-children">')
    assert f'id="team-{deep.slug}"' in fragment.content.decode()
    rooted = client.get(f"/?root={deep.parent.slug}").content.decode()
    assert f'id="team-{deep.slug}"' in rooted and "Whole organisation" in rooted


@pytest.mark.parametrize("width", [2, 5])
def test_chart_page_and_fragment_query_counts_do_not_grow(client, member, width, django_assert_max_num_queries):
    _deep_org(width)
    signed_in(client, member)
    top = Team.objects.filter(parent__isnull=True).first()
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/org/teams/{top.slug}/subtree/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/org/chart.svg").status_code == 200


def test_search_jumps_to_a_single_hit_and_lists_several(client, member, seed_org):
    signed_in(client, member)
    single = client.get("/", {"q": "Marketing specialist"})
    several = client.get("/", {"q": "specialist"})
    none = client.get("/", {"q": "nobody-at-all"})

    assert single.status_code == 302
    assert single["Location"].endswith(f"?focus=marketing#role-{Role.objects.get(slug='marketing-specialist').pk}")
    html = several.content.decode()
    assert several.status_code == 200 and "Operations specialist" in html and "Customer service specialist" in html
    assert "Nothing found" in none.content.decode()
    person = client.get("/", {"q": "member"})
    assert person.status_code in (200, 302)


def test_focus_opens_the_path_to_a_deep_team(client, member):
    _deep_org(6)
    deepest = Team.objects.filter(parent__parent__parent__isnull=True, parent__parent__isnull=False).last()

    html = signed_in(client, member).get(f"/?focus={deepest.slug}").content.decode()

    assert f'id="team-{deepest.slug}"' in html
    assert 'class="oc-box oc-focus"' in html


def test_svg_download_is_valid_xml_with_escaped_text(client, member):
    org_template_load(key="ecommerce", lang="zh-hans")
    Team.objects.filter(slug="product").update(name='产品 & <Design> "团队"')

    response = signed_in(client, member).get("/org/chart.svg")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "attachment" in response["Content-Disposition"]
    root = ElementTree.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert '产品 & <Design> "团队"' in texts
    assert any(t and t.startswith("2. 收集用户反馈") for t in texts)
    assert len(list(root.iter("{http://www.w3.org/2000/svg}rect"))) == 6  # background + 5 boxes
    sub = client.get("/org/chart.svg?root=marketing")
    assert ElementTree.fromstring(sub.content).find("{http://www.w3.org/2000/svg}title").text == "市场团队"


def test_svg_and_fragment_need_sign_in(client, seed_org):
    assert client.get("/org/chart.svg").status_code == 302
    assert client.get("/org/teams/product/subtree/").status_code == 302
