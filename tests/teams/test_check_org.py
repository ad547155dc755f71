"""manage.py check_org: reports structural problems (exit status 1), repairs them with
--repair through the services (change events), and is quiet on a sound organisation."""

import pytest
from django.core.management import CommandError, call_command

from orgstructure.models import ChangeEvent
from teams.models import Membership, Team, TeamUserObjectPermission
from teams.permissions import TeamPermissions
from teams.selectors import TeamTree, org_structure_problems
from teams.services import membership_add
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("check_org", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return 1, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def broken(hr):
    """A cycle (b ⇄ c), an active team under an archived one, a lead whose permission is gone,
    and a permission nobody's lead membership explains: all made behind the services' back."""
    a = TeamFactory(slug="a")
    b = TeamFactory(slug="b", parent=a)
    c = TeamFactory(slug="c", parent=b)
    old = TeamFactory(slug="old", archived=True)
    kept = TeamFactory(slug="kept")
    lead, stray = UserFactory(username="lead"), UserFactory(username="stray")
    membership_add(user=lead, team=a, is_lead=True, acting_user=hr)
    membership_add(user=stray, team=a, is_lead=True, acting_user=hr)
    Team.objects.filter(pk=b.pk).update(parent=c)
    Team.objects.filter(pk=kept.pk).update(parent=old)
    TeamUserObjectPermission.objects.filter(user=lead).delete()
    Membership.objects.filter(user=stray).update(is_lead=False)
    return a, b, c, old, kept, lead, stray


def test_a_sound_organisation_passes(seed_org):
    assert run() == (0, "The organisation is sound.\n", "")
    assert org_structure_problems() == []


def test_problems_are_reported_with_exit_status_1_and_nothing_changes(broken):
    _a, b, c, _old, kept, _lead, _stray = broken
    status, out, err = run()
    assert status == 1 and "4 problem(s) found" in err
    assert "cycle of parent teams: b under c under b" in out
    assert "active team under an archived team: kept under archived old" in out
    assert "lead without the lead permission: lead leads a" in out
    assert "lead permission without a lead membership: stray may lead a without leading it" in out
    assert TeamTree.load().cycles() == [[b.pk, c.pk]]
    assert Team.objects.get(pk=kept.pk).parent_id is not None


def test_repair_breaks_the_cycle_moves_orphans_up_and_fixes_permissions(broken):
    a, b, c, _old, kept, lead, stray = broken
    before = ChangeEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    status, out, _err = run("--repair")

    assert status == 0 and "4 problem(s) repaired" in out
    assert TeamTree.load().cycles() == []
    assert Team.objects.filter(pk__in=[b.pk, c.pk], parent=None).count() == 1
    assert Team.objects.get(pk=kept.pk).parent_id is None
    assert lead.has_perm(TeamPermissions.LEAD, a)
    assert not TeamUserObjectPermission.objects.filter(user=stray).exists()
    actions = sorted(ChangeEvent.objects.filter(pk__gt=before).values_list("action", flat=True))
    assert actions == [
        "membership.lead_permission_granted",
        "membership.lead_permission_revoked",
        "team.moved",
        "team.moved",
    ]
    assert run() == (0, "The organisation is sound.\n", "")


def test_the_repair_goes_through_the_cycle_once_however_long(hr):
    teams = [TeamFactory(slug=f"t{i}") for i in range(5)]
    for child, parent in zip(teams[1:], teams[:-1], strict=True):
        Team.objects.filter(pk=child.pk).update(parent=parent)
    Team.objects.filter(pk=teams[0].pk).update(parent=teams[-1])
    status, out, _err = run()
    assert status == 1 and "t0 under t4 under t3 under t2 under t1 under t0" in out
    assert run("--repair")[0] == 0
    tree = TeamTree.load()
    assert tree.cycles() == [] and len(tree.roots()) == 1 and len(tree.subtree_ids(tree.roots())) == 5


def test_repair_handles_an_archived_team_on_a_cycle_and_is_idempotent(hr):
    """A cycle through an archived team (so the active one is also 'under an archived team'),
    a long chain hanging below it. One repair fixes all; a second finds nothing to do and
    changes nothing. (A team its own parent is refused by a database constraint.)"""
    gone, alive = TeamFactory(slug="gone", archived=True), TeamFactory(slug="alive")
    Team.objects.filter(pk=gone.pk).update(parent=alive)
    Team.objects.filter(pk=alive.pk).update(parent=gone)
    chain = [alive]
    for i in range(30):
        chain.append(TeamFactory(slug=f"deep-{i}", parent=chain[-1]))
    assert run()[0] == 1

    assert run("--repair")[0] == 0

    tree = TeamTree.load()
    assert tree.cycles() == [] and org_structure_problems() == []
    assert len(tree.subtree_ids(tree.roots())) == Team.objects.count()
    assert Team.objects.get(pk=chain[-1].pk).parent_id == chain[-2].pk  # the chain below is untouched
    events = ChangeEvent.objects.count()
    assert run("--repair") == (0, "The organisation is sound.\n", "")
    assert ChangeEvent.objects.count() == events
