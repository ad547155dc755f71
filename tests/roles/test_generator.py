"""The synthetic organisation generator (``generate_org``): deterministic for a seed, exact
counts, and data as consistent as the services would have left it. No timings here: speed is
``make bench``'s business."""

import hashlib
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F

from reviews.models import Suggestion
from roles.generator import GenerateOptions, org_generate
from roles.models import Duty, Role, RoleRevision, RoleStatus
from teams.models import Membership, Team, TeamDuty, TeamUserObjectPermission
from teams.permissions import TeamPermissions

pytestmark = pytest.mark.django_db

SMALL = GenerateOptions(teams=30, roles=120, duties_per_role=5, people=150, seed=7, suggestions=12)
User = get_user_model()


def fingerprint() -> str:
    """Everything generated, by natural keys (ids differ between runs on PostgreSQL)."""
    team_slug = dict(Team.objects.values_list("id", "slug"))
    core = {pk: (team_slug[t], p) for pk, t, p in TeamDuty.objects.values_list("id", "team_id", "position")}
    parts = {
        "teams": sorted((t.slug, t.name, t.kind, team_slug.get(t.parent_id), t.position) for t in Team.objects.all()),
        "core": sorted(TeamDuty.objects.values_list("team__slug", "position", "text")),
        "roles": sorted(Role.objects.values_list("team__slug", "slug", "title", "status", "headcount", "version")),
        "duties": sorted(
            (team_slug[t], r, p, text, core.get(s))
            for t, r, p, text, s in Duty.objects.values_list(
                "role__team_id", "role__slug", "position", "text", "serves_id"
            )
        ),
        "revisions": sorted(
            (r, n, [(d["position"], d["text"]) for d in duties])
            for r, n, duties in RoleRevision.objects.values_list("role__slug", "number", "duties")
        ),
        "people": sorted(
            User.objects.filter(username__startswith="person").values_list("username", "first_name", "last_name")
        ),
        "memberships": sorted(
            Membership.objects.values_list("user__username", "team__slug", "role__slug", "is_lead"),
            key=repr,
        ),
        "suggestions": sorted(
            Suggestion.objects.values_list("role__team__slug", "role__slug", "kind", "state", "author__username"),
            key=repr,
        ),
    }
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()


def delete_generated():
    Suggestion.objects.all().delete()
    RoleRevision.objects.all().delete()
    Duty.objects.all().delete()
    Membership.objects.all().delete()
    Role.objects.all().delete()
    TeamDuty.objects.all().delete()
    User.objects.filter(username__startswith="person").delete()
    while Team.objects.exists():  # leaves first
        Team.objects.filter(children__isnull=True).delete()


def test_same_seed_same_organisation_other_seed_another():
    # given
    org_generate(SMALL)
    first = fingerprint()
    delete_generated()

    # when
    org_generate(SMALL)
    again = fingerprint()
    delete_generated()
    org_generate(GenerateOptions(**{**SMALL.__dict__, "seed": 8}))

    # then
    assert again == first
    assert fingerprint() != first


def test_counts_are_exact():
    report = org_generate(SMALL)

    assert Team.objects.count() == report.teams == 30
    assert Role.objects.count() == report.roles == 120
    assert Duty.objects.count() == report.duties == 120 * 5
    assert TeamDuty.objects.count() == report.core_duties == 30 * SMALL.core_duties_per_team
    assert User.objects.filter(username__startswith="person").count() == report.people == 150
    assert Membership.objects.count() == report.memberships == 150
    assert Suggestion.objects.count() == report.suggestions == 12
    assert RoleRevision.objects.count() == report.revisions
    assert not Team.objects.annotate(n=Count("roles")).filter(n=0).exists()  # every team has a role
    assert Team.objects.filter(parent__isnull=True).count() == 5  # one top team per kind
    assert 2 <= report.depth <= 6


def test_data_is_as_consistent_as_the_services_leave_it():
    org_generate(SMALL)

    # versions are the revision counts, and the newest revision is the current list
    for role in Role.objects.annotate(n=Count("revisions")).prefetch_related("duties", "revisions"):
        assert role.version == role.n >= 1
        assert sorted(r.number for r in role.revisions.all()) == list(range(1, role.version + 1))
        newest = max(role.revisions.all(), key=lambda r: r.number)
        current = sorted(role.duties.all(), key=lambda d: d.position)
        assert [(d["position"], d["text"], d["serves"]) for d in newest.duties] == [
            (d.position, d.text, d.serves_id) for d in current
        ]
        assert len({d.text.casefold() for d in current}) == len(current)
        assert [d.position for d in current] == list(range(1, len(current) + 1))
    # duties serve core duties of their own team only, and some serve none
    assert not Duty.objects.filter(serves__isnull=False).exclude(serves__team_id=F("role__team_id")).exists()
    assert Duty.objects.filter(serves__isnull=True).exists()
    # one lead per team, with the lead permission through the direct-FK model
    assert Membership.objects.filter(is_lead=True).count() == 30
    lead = Membership.objects.filter(is_lead=True).select_related("user", "team").first()
    assert lead.user.has_perm(TeamPermissions.LEAD, lead.team)
    assert TeamUserObjectPermission.objects.count() == 30
    assert not TeamUserObjectPermission.objects.exclude(
        user__memberships__team_id=F("content_object_id"), user__memberships__is_lead=True
    ).exists()
    # role holders belong to the role's team; retired roles have no holders
    assert not Membership.objects.filter(role__isnull=False).exclude(role__team_id=F("team_id")).exists()
    assert not Membership.objects.filter(role__status=RoleStatus.RETIRED).exists()
    # suggestions are on active roles at their current version
    assert not Suggestion.objects.exclude(role__status=RoleStatus.ACTIVE).exists()
    assert not Suggestion.objects.exclude(base_version=F("role__version")).exists()
    # both languages
    texts = list(Duty.objects.values_list("text", flat=True))
    assert any(t.isascii() for t in texts) and any(not t.isascii() for t in texts)


def test_command_refuses_without_demo_data_and_on_an_existing_organisation(settings):
    settings.ALLOW_DEMO_DATA = False
    with pytest.raises(CommandError, match="ALLOW_DEMO_DATA"):
        call_command("generate_org", "--teams", "3", "--roles", "3", "--people", "3", "--no-progress")
    assert not Team.objects.exists()

    settings.ALLOW_DEMO_DATA = True
    call_command("generate_org", "--teams", "3", "--roles", "6", "--people", "4", "--no-progress", verbosity=0)
    assert Role.objects.count() == 6

    with pytest.raises(CommandError, match="already has teams"):
        call_command("generate_org", "--teams", "3", "--roles", "3", "--people", "3", "--no-progress")
    assert Role.objects.count() == 6
