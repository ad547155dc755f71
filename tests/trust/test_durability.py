"""No change is ever half made, and every change says who made it.

A failure is injected at each write statement, one after the other, of every multi-step service:
whichever step fails, nothing of the change stays. Every mutation path (API, admin, pages,
commands) leaves history with its actor; what has history is archived, never deleted (the
admin's bulk delete included); object permissions go with their team or person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from guardian.shortcuts import get_perms
from rest_framework.test import APIClient

from orgstructure.models import ChangeEvent
from reviews import services as review_services
from reviews.models import ReviewCycle, Suggestion
from roles import services as role_services
from roles.models import Role, RoleRevision
from teams import services as team_services
from teams.models import Membership, ProjectGroup, Team, TeamUserObjectPermission
from teams.permissions import TeamPermissions
from tests.factories import UserFactory
from tests.trust.figures import record
from tests.trust.world import build_world, db_fingerprint

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


class FailAtWrite:
    """Raise at the n-th statement that writes (1-based); count them when ``n`` is None."""

    def __init__(self, n: int | None):
        self.n, self.seen = n, 0

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.seen += 1
            if self.seen == self.n:
                raise DatabaseError(f"injected failure at write {self.n}: {sql[:60]}")
        return execute(sql, params, many, context)


def scenarios(w) -> dict[str, Callable[[], object] | tuple[Callable[[], object], Callable[[], object]]]:
    """name -> the change, or (a step done before, the change)."""
    hr = w.hr
    keep = [{"id": d.id, "text": d.text} for d in w.pm.duties.order_by("position")]
    return {
        "duty list replace": lambda: role_services.role_duties_replace(
            role=w.pm, duties=[{"text": "New first"}, *keep[1:]], expected_version=w.pm.version, acting_user=hr
        ),
        "role create with duties": lambda: role_services.role_create(
            team=w.product, title="New role", duties=[{"text": "A"}, {"text": "B"}], acting_user=hr
        ),
        "core duties replace": lambda: team_services.team_core_duties_replace(
            team=w.product,
            duties=[
                {"id": w.product_core[1].pk, "text": "Talk to customers"},
                {"text": "New"},
                {"id": w.product_core[0].pk, "text": "Own the roadmap"},
            ],
            acting_user=hr,
        ),
        "team move": lambda: team_services.team_move(team=w.design, new_parent=w.operations, acting_user=hr),
        "lead added": lambda: team_services.membership_add(
            user=w.reader, team=w.operations, is_lead=True, acting_user=hr
        ),
        "lead removed": lambda: team_services.membership_remove(membership=w.lead_membership, acting_user=hr),
        "group member added": lambda: team_services.project_group_member_add(
            group=w.group, user=w.lead, home_team=w.product, acting_user=hr
        ),
        "cycle opened": lambda: review_services.review_cycle_open(cycle=w.draft_cycle, acting_user=hr),
        "cycle force-closed": lambda: review_services.review_cycle_close(
            cycle=w.open_cycle, force=True, acting_user=hr
        ),
        "review approved (revise)": (
            lambda: review_services.role_review_submit(
                review=w.sent_back,
                outcome="revise",
                duties=[{"text": "Draw screens"}, {"text": "Prototype"}],
                acting_user=w.lead,
            ),
            lambda: review_services.role_review_approve(review=w.sent_back, acting_user=hr),
        ),
        "suggestion accepted": lambda: review_services.suggestion_accept(suggestion=w.open_suggestion, acting_user=hr),
        "schedule run": lambda: review_services.review_schedules_run(today=dt.date(2030, 1, 2), acting_user=None),
    }


def test_a_failure_at_any_write_of_a_service_leaves_nothing_partial(world):
    injected = 0
    for name, scenario in scenarios(world).items():
        setup, change = scenario if isinstance(scenario, tuple) else (None, scenario)
        with transaction.atomic():
            if setup is not None:
                setup()
            before = db_fingerprint()
            # how many writes does the change take?
            counter = FailAtWrite(None)
            with transaction.atomic():
                with connection.execute_wrapper(counter):
                    change()
                transaction.set_rollback(True)
            assert counter.seen >= 2, f"{name}: not a multi-step change ({counter.seen} writes)"
            for n in range(1, counter.seen + 1):
                with transaction.atomic():
                    failing = FailAtWrite(n)
                    with pytest.raises(DatabaseError, match="injected failure"), connection.execute_wrapper(failing):
                        change()
                    assert db_fingerprint() == before, f"{name}: a failure at write {n} of {counter.seen} left a part"
                    transaction.set_rollback(True)
                injected += 1
            transaction.set_rollback(True)
    record("injected failures", injected)


def _last_event(action: str) -> ChangeEvent:
    return ChangeEvent.objects.filter(action=action).latest("id")


def test_every_mutation_path_leaves_history_with_its_actor(world):
    w = world
    # the API
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {w.tokens['hr']}")
    response = api.put(
        f"/api/v1/roles/{w.pm.pk}/duties/",
        {"duties": [{"text": "Only duty"}], "reason": "API"},
        format="json",
        HTTP_IF_MATCH=f'"{w.pm.version}"',
    )
    assert response.status_code == 200
    assert _last_event("role.duties_replaced").actor == w.hr
    assert RoleRevision.objects.filter(role=w.pm).latest("number").author == w.hr
    assert api.patch(f"/api/v1/teams/{w.design.pk}/", {"description": "API"}, format="json").status_code == 200
    assert Team.history.filter(id=w.design.pk).latest("history_id").history_user == w.hr
    assert _last_event("team.updated").actor == w.hr

    # the admin
    admin = Client()
    admin.force_login(w.hr)
    response = admin.post("/admin/teams/team/", {"action": "archive_selected", "_selected_action": [str(w.design.pk)]})
    assert response.status_code == 302
    assert Team.history.filter(id=w.design.pk).latest("history_id").history_user == w.hr
    assert _last_event("team.archived").actor == w.hr

    # the portal pages
    page = Client()
    page.force_login(w.member)
    response = page.post(f"/roles/{w.ops_role.pk}/", {"kind": "add", "proposed_text": "Wrap", "rationale": "Gifts"})
    assert response.status_code == 302
    suggestion = Suggestion.objects.latest("id")
    assert suggestion.author == w.member and _last_event("suggestion.created").actor == w.member

    # a management command: the system acts, and says so (no person)
    review_services.review_schedule_update(schedule=w.schedule, next_run_on=dt.date(2026, 1, 1), acting_user=w.hr)
    call_command("run_review_schedules", "--today", "2030-01-02", verbosity=0)
    opened = _last_event("review_cycle.opened")
    assert opened.actor is None and ReviewCycle.objects.filter(schedule=w.schedule).exists()
    record("history checks", 5)


@pytest.mark.parametrize(
    ("model", "url", "objects"),
    [
        (Team, "/admin/teams/team/", lambda w: [w.design, w.old_team]),
        (Role, "/admin/roles/role/", lambda w: [w.retired, w.pm]),
        (ProjectGroup, "/admin/teams/projectgroup/", lambda w: [w.archived_group]),
        (ReviewCycle, "/admin/reviews/reviewcycle/", lambda w: [w.cancelled_cycle]),
    ],
)
def test_the_admin_bulk_delete_never_deletes_what_keeps_history(world, model, url, objects):
    client = Client()
    client.force_login(world.superuser)
    selected = objects(world)
    before = db_fingerprint()
    for action in ("delete_selected",):
        response = client.post(
            url, {"action": action, "_selected_action": [str(o.pk) for o in selected], "post": "yes"}
        )
        assert response.status_code in (200, 302, 403)
    assert model.objects.filter(pk__in=[o.pk for o in selected]).count() == len(selected)
    assert db_fingerprint() == before


def test_removing_a_member_in_the_admin_keeps_the_history_and_revokes_the_lead_permission(world):
    w = world
    client = Client()
    client.force_login(w.hr)
    response = client.post(
        "/admin/teams/membership/",
        {"action": "delete_selected", "_selected_action": [str(w.lead_membership.pk)], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=w.lead_membership.pk).exists()
    gone = Membership.history.filter(id=w.lead_membership.pk).latest("history_id")
    assert gone.history_type == "-" and gone.history_user == w.hr
    assert TeamPermissions.LEAD_CODENAME not in get_perms(w.lead, w.product)
    assert _last_event("membership.removed").actor == w.hr


# --- permissions hygiene ------------------------------------------------------------------


def test_object_permissions_disappear_with_their_team_or_person(world):
    w = world
    assert TeamUserObjectPermission.objects.filter(user=w.lead).exists()
    # a lead who is no longer a lead, or no longer a member, keeps nothing
    team_services.membership_update(membership=w.other_lead_membership, is_lead=False, acting_user=w.hr)
    assert not TeamUserObjectPermission.objects.filter(user=w.other_lead).exists()
    # a person removed from the database (by an operator) takes their permissions along
    person = UserFactory(username="leaving")
    team_services.membership_add(user=person, team=w.operations, is_lead=True, acting_user=w.hr)
    person_id = person.pk
    person.delete()
    assert not TeamUserObjectPermission.objects.filter(user_id=person_id).exists()
    # a team removed from the database takes the permissions on it along
    team = Team.objects.create(name="Temporary", slug="temporary")
    team_services.membership_add(user=w.reader, team=team, is_lead=True, acting_user=w.hr)
    team_id = team.pk
    Membership.objects.filter(team=team).delete()
    team.delete()
    assert not TeamUserObjectPermission.objects.filter(content_object_id=team_id).exists()
    # and nothing anywhere points at a missing team or person
    orphans = TeamUserObjectPermission.objects.exclude(user__isnull=False, content_object__isnull=False)
    assert not orphans.exists()


def test_the_anonymous_user_has_no_permissions(world, settings):
    assert settings.ANONYMOUS_USER_NAME is None  # guardian keeps no anonymous user row
    anonymous = AnonymousUser()
    assert not anonymous.has_perm(TeamPermissions.LEAD, world.product)
    assert not anonymous.has_perm(TeamPermissions.CHANGE)
    from django.contrib.auth.models import Permission

    for codename in Permission.objects.values_list("content_type__app_label", "codename"):
        assert not anonymous.has_perm(".".join(codename), world.product), codename


def test_staff_without_the_right_permission_cannot_open_object_permission_screens(world):
    client = Client()
    client.force_login(world.staff)
    for url in (
        f"/admin/teams/team/{world.product.pk}/permissions/",
        f"/admin/teams/team/{world.product.pk}/change/",
        "/admin/guardian/",
        "/admin/auth/group/",
        f"/admin/auth/user/{world.lead.pk}/change/",
    ):
        assert client.get(url, follow=True).status_code in (403, 404), url
    # no admin screen edits object permissions at all: they follow the lead flag of memberships
    from django.contrib import admin

    assert not any("objectpermission" in model._meta.model_name for model in admin.site._registry)
