"""Every service path that can end someone's leadership tells the registered handlers, in its
own transaction (teams.leadership); a handler that fails rolls the change back."""

import pytest

from teams import leadership
from teams.models import Membership
from teams.services import membership_add, membership_remove, membership_update, person_set_active, team_move
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(monkeypatch):
    calls = []
    monkeypatch.setattr(leadership, "_handlers", [calls.append])
    return calls


@pytest.fixture
def org(hr):
    top = TeamFactory(slug="top")
    sub = TeamFactory(slug="sub", parent=top)
    other = TeamFactory(slug="other")
    boss, lead, member = UserFactory(), UserFactory(), UserFactory()
    membership_add(user=boss, team=top, is_lead=True, acting_user=hr)
    membership_add(user=lead, team=sub, is_lead=True, acting_user=hr)
    membership_add(user=member, team=sub, acting_user=hr)
    return top, sub, other, boss, lead, member


def test_removing_a_lead_membership_is_heard(org, hr, heard):
    _top, sub, _other, _boss, lead, member = org
    membership_remove(membership=Membership.objects.get(user=member), acting_user=hr)
    assert heard == []  # not a lead: nothing ended
    membership_remove(membership=Membership.objects.get(user=lead), acting_user=hr)
    (change,) = heard
    assert change.user_ids == {lead.pk} and change.team_ids == {sub.pk} and change.reason == "membership.removed"
    assert change.acting_user == hr


def test_turning_the_lead_flag_off_is_heard_and_on_is_not(org, hr, heard):
    _top, sub, _other, _boss, lead, member = org
    membership_update(membership=Membership.objects.get(user=member), is_lead=True, acting_user=hr)
    assert heard == []
    membership_update(membership=Membership.objects.get(user=lead), is_lead=False, acting_user=hr)
    (change,) = heard
    assert change.user_ids == {lead.pk} and change.team_ids == {sub.pk} and change.reason == "membership.lead_removed"


def test_deactivating_a_person_is_heard(org, hr, heard):
    _top, _sub, _other, boss, _lead, _member = org
    person_set_active(user=boss, is_active=False, acting_user=hr)
    (change,) = heard
    assert change.user_ids == {boss.pk} and change.team_ids is None and change.reason == "person.deactivated"
    person_set_active(user=boss, is_active=True, acting_user=hr)
    assert len(heard) == 1


def test_moving_a_team_away_from_its_leads_above_is_heard(org, hr, heard):
    top, sub, other, boss, _lead, _member = org
    team_move(team=sub, new_parent=top, position=5, acting_user=hr)  # same parent: nothing ended
    assert heard == []
    team_move(team=sub, new_parent=other, acting_user=hr)
    (change,) = heard
    assert change.user_ids == {boss.pk} and change.team_ids == {sub.pk} and change.reason == "team.moved"


def test_a_failing_handler_rolls_the_change_back(org, hr, monkeypatch):
    _top, _sub, _other, _boss, lead, _member = org

    def refuse(change):
        raise RuntimeError("handler failed")

    monkeypatch.setattr(leadership, "_handlers", [refuse])
    with pytest.raises(RuntimeError):
        membership_remove(membership=Membership.objects.get(user=lead), acting_user=hr)
    assert Membership.objects.filter(user=lead, is_lead=True).exists()
    assert lead.has_perm("teams.lead_team", Membership.objects.get(user=lead).team)


def test_reviews_registers_its_handler():
    from reviews.services import role_reviews_follow_leads

    assert role_reviews_follow_leads in leadership._handlers
