"""Regression tests for two teams.services bugs found while building the API."""

import pytest
from django.core.exceptions import ValidationError

from teams.models import Team, TeamDuty
from teams.services import team_core_duties_replace, team_move
from tests.factories import TeamDutyFactory, TeamFactory


@pytest.mark.django_db
def test_move_under_a_team_deleted_meanwhile_is_refused_not_a_move_to_the_top():
    # given a team under "old", and a target parent that disappears before the move
    old = TeamFactory()
    team = TeamFactory(parent=old)
    gone = TeamFactory()
    stale_parent = Team.objects.get(pk=gone.pk)
    gone.delete()

    # when / then
    with pytest.raises(ValidationError) as exc:
        team_move(team=team, new_parent=stale_parent, acting_user=None)
    assert "parent" in exc.value.message_dict
    team.refresh_from_db()
    assert team.parent_id == old.pk


@pytest.mark.django_db
def test_core_duties_replace_refuses_the_same_id_twice():
    duty = TeamDutyFactory(position=1, text="Keep it")
    TeamDutyFactory(team=duty.team, position=2, text="Other")

    with pytest.raises(ValidationError):
        team_core_duties_replace(
            team=duty.team, duties=[{"id": duty.pk, "text": "A"}, {"id": duty.pk, "text": "B"}], acting_user=None
        )
    assert list(TeamDuty.objects.filter(team=duty.team).values_list("text", flat=True)) == ["Keep it", "Other"]
