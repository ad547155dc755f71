import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from teams.models import Membership, Team
from teams.permissions import is_hr_manager, user_leads_team

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_demo_accounts_cover_every_team_and_can_run_twice(seed_org, settings):
    settings.ALLOW_DEMO_DATA = True
    call_command("create_demo_accounts")
    call_command("create_demo_accounts")

    hr = User.objects.get(username="hr")
    assert hr.is_staff and is_hr_manager(hr) and hr.check_password("orgstructure-demo")
    for team in Team.objects.all():
        lead = User.objects.get(username=f"lead-{team.slug}")
        member = User.objects.get(username=f"member-{team.slug}")
        assert user_leads_team(lead, team) and not user_leads_team(member, team)
        assert Membership.objects.get(user=member, team=team).role.team == team
        assert lead.get_full_name() and not lead.is_staff
    assert Membership.objects.count() == 10


def test_demo_accounts_are_refused_outside_demo_machines(seed_org, settings):
    settings.ALLOW_DEMO_DATA = False
    with pytest.raises(CommandError, match="disabled"):
        call_command("create_demo_accounts")
    assert not User.objects.filter(username="hr").exists()
