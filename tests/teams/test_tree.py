"""TeamTree, the one walk of the team tree, and what every page and endpoint does when a cycle
was forced into the database behind the services' back (raw SQL): they answer, each team once,
never loop or fail."""

import signal

import pytest
from rest_framework.authtoken.models import Token

from roles.models import RoleStatus
from teams.models import Team
from teams.selectors import TeamTree, team_subtree_ids
from teams.services import membership_add
from tests.factories import TeamFactory, UserFactory, role_with_duties

pytestmark = pytest.mark.django_db


@pytest.fixture
def deadline():
    """Fail a test that would hang instead of hanging the run (a loop on a cycle)."""

    def expired(signum, frame):
        raise AssertionError("still walking after 20 seconds: a loop on the cycle")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_the_tree_answers_children_subtrees_ancestors_and_depth():
    # 1 ─ 2 ─ 4
    #   └ 3      5
    tree = TeamTree([(1, None), (2, 1), (3, 1), (4, 2), (5, None)])
    assert tree.roots() == [1, 5]
    assert tree.children(1) == [2, 3] and tree.children(4) == []
    assert tree.subtree_ids([2]) == {2, 4} and tree.subtree_ids([1]) == {1, 2, 3, 4}
    assert tree.ancestors(4) == [1, 2] and tree.path(4) == [1, 2, 4] and tree.ancestors(1) == []
    assert [tree.depth(t) for t in (1, 2, 4, 5)] == [0, 1, 2, 0]
    assert tree.walk() == [(1, 0), (2, 1), (4, 2), (3, 1), (5, 0)]
    assert tree.walk([1], max_depth=1) == [(1, 0), (2, 1), (3, 1)]
    assert tree.cycles() == []


def test_the_tree_is_safe_against_a_cycle():
    # 1 is a root; 2 → 3 → 4 → 2 is a cycle hanging nowhere; 5 hangs under the cycle
    tree = TeamTree([(1, None), (2, 4), (3, 2), (4, 3), (5, 3)])
    assert tree.roots() == [1]
    assert tree.subtree_ids([2]) == {2, 3, 4, 5}
    assert [team for team, _level in tree.walk([3])] == [3, 4, 2, 5]
    assert tree.ancestors(2) == [3, 4] and tree.ancestors(5) == [4, 2, 3]
    assert tree.depth(2) == 2
    assert tree.cycles() == [[2, 4, 3]]


def test_the_walk_stops_at_the_depth_bound(monkeypatch):
    monkeypatch.setattr(TeamTree, "MAX_DEPTH", 3)
    tree = TeamTree([(i, i - 1 if i else None) for i in range(10)])
    assert [t for t, _level in tree.walk()] == [0, 1, 2, 3]
    assert len(tree.ancestors(9)) == 3


def test_loading_is_one_query(django_assert_num_queries):
    a = TeamFactory()
    TeamFactory(parent=a)
    TeamFactory(parent=a, archived=True)
    with django_assert_num_queries(1):
        tree = TeamTree.load(include_archived=False)
    assert len(tree) == 2 and tree.children(a.pk)
    assert len(TeamTree.load()) == 3
    assert team_subtree_ids([a.pk]) == set(Team.objects.values_list("pk", flat=True))


@pytest.fixture
def cycle_org(hr):
    """top ─ a ─ b, then b made a's parent by raw SQL: a ⇄ b is a cycle, with a role in each."""
    top = TeamFactory(slug="top")
    a = TeamFactory(slug="a", parent=top)
    b = TeamFactory(slug="b", parent=a)
    role_with_duties("Plan", team=a, title="Planner")
    role_with_duties("=Build", team=b, title="Builder", status=RoleStatus.ACTIVE)
    lead = UserFactory(username="lead-a")
    membership_add(user=lead, team=a, is_lead=True, acting_user=None)
    Team.objects.filter(pk=a.pk).update(parent=b)  # behind the services' back
    assert TeamTree.load().cycles() == [sorted([a.pk, b.pk])]
    return a, b, lead


def test_pages_answer_with_a_cycle_in_the_data(client, member, hr, cycle_org, deadline):
    _a, _b, lead = cycle_org
    for user in (member, lead, hr):
        client.force_login(user)
        for url in (
            "/",
            "/?root=a",
            "/?root=b",
            "/?focus=a",
            "/?q=Builder",
            "/teams/a/",
            "/teams/b/",
            "/org/teams/a/subtree/",
            "/org/chart.svg?root=a",
            "/org/chart.svg",
        ):
            response = client.get(url)
            assert response.status_code in (200, 302), (user, url, response.status_code)
    client.force_login(lead)
    html = client.get("/?root=a").content.decode()
    assert html.count('id="team-a"') == 1 and html.count('id="team-b"') == 1
    for user in (lead, hr):
        client.force_login(user)
        for url in ("/analysis/coverage/", "/analysis/coverage/?team=a", "/analysis/overlaps/?team=b"):
            assert client.get(url).status_code == 200, (user, url)
    client.force_login(hr)
    assert client.get("/dashboard/").status_code == 200


def test_api_answers_with_a_cycle_in_the_data(client, hr, cycle_org, deadline):
    a, _b, _lead = cycle_org
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=hr).key}"}
    document = client.get("/api/v1/org-chart/?root=a", **headers)
    assert document.status_code == 200
    (top,) = document.json()["teams"]
    assert top["slug"] == "a" and [c["slug"] for c in top["children"]] == ["b"] and top["children"][0]["children"] == []
    csv = client.get("/api/v1/org-chart/?root=b&format=csv", **headers)
    assert csv.status_code == 200 and csv.content.decode("utf-8-sig").count("\r\n") == 3  # header + two duties
    assert client.get("/api/v1/org-chart/", **headers).status_code == 200
    teams = client.get("/api/v1/teams/", **headers)
    assert teams.status_code == 200
    paths = {t["slug"]: t["path"] for t in teams.json()["results"]}
    assert paths["a"] == ["a", "b"][1:] and paths["b"] == ["a"]
    assert client.get(f"/api/v1/teams/{a.pk}/", **headers).json()["depth"] == 1
    for url in ("/api/v1/analysis/coverage/", "/api/v1/analysis/coverage/?team=a", "/api/v1/analysis/overlaps/"):
        assert client.get(url, **headers).status_code == 200, url


def test_the_admin_answers_with_a_cycle_in_the_data(client, hr, cycle_org, deadline):
    a, b, _lead = cycle_org
    client.force_login(hr)
    assert client.get("/admin/teams/team/").status_code == 200
    # The admin's tree order comes from a recursive query that starts at the top-level teams, so
    # the teams of a cycle are not listed (check_org reports and repairs them); no hang, no 500.
    assert client.get(f"/admin/teams/team/{a.pk}/change/").status_code in (200, 302)
    assert client.get(f"/admin/teams/team/{b.pk}/change/").status_code in (200, 302)
    assert client.get("/admin/teams/membership/").status_code == 200


def test_a_tree_deeper_than_the_walk_bound_still_refuses_a_cycle(hr, monkeypatch):
    """The walk's depth bound protects pages from a cycle; the cycle check must not rely on it
    (a move under a team deeper than the bound would otherwise pass the check). The tree
    cannot grow beyond the bound either."""
    from django.core.exceptions import ValidationError

    from teams.services import team_create, team_move

    monkeypatch.setattr(TeamTree, "MAX_DEPTH", 4)
    chain = [TeamFactory(slug="level-0")]
    for level in range(1, 5):
        chain.append(TeamFactory(slug=f"level-{level}", parent=chain[-1]))
    with pytest.raises(ValidationError) as refused:
        team_move(team=chain[0], new_parent=chain[-1], acting_user=hr)
    assert "parent" in refused.value.message_dict
    assert TeamTree.load().cycles() == []
    with pytest.raises(ValidationError) as too_deep:
        team_create(name="Too deep", parent=chain[-1], acting_user=hr)
    assert too_deep.value.error_dict["parent"][0].code == "tree_too_deep"
    other = TeamFactory(slug="other")
    TeamFactory(slug="other-child", parent=other)
    with pytest.raises(ValidationError):
        team_move(team=other, new_parent=chain[-2], acting_user=hr)  # its child would be too deep
