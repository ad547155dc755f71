"""Every write to teams, their core duties, memberships and project groups.

Each function is one transaction, re-checks the acting user's permission, validates with the
model's ``full_clean`` (DRF and hand-made forms do not), and records who did it in the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from orgstructure.accounts import require_may_manage
from orgstructure.authz import history_user, require_permission
from orgstructure.changes import change_record
from orgstructure.locking import lock_or_gone
from orgstructure.validation import clean_duty_text, duplicate_key, refuse_unknown_fields
from teams.leadership import leadership_ended
from teams.models import Membership, ProjectGroup, ProjectGroupMember, Team, TeamDuty
from teams.permissions import TeamPermissions
from teams.selectors import OrgProblem, TeamTree, org_structure_problems, team_subtree_ids

User = get_user_model()

MAX_CORE_DUTIES = 50
PERSON_CHANGE = "auth.change_user"
_TEAM_FIELDS = ("name", "slug", "kind", "description", "position")


def _unique_slug(model, base: str, *, fallback: str, **scope: Any) -> str:
    slug = slugify(base)[:90] or fallback
    candidate, n = slug, 2
    while model.objects.filter(slug=candidate, **scope).exists():
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def _next_sibling_position(parent: Team | None) -> int:
    top = Team.objects.filter(parent=parent).aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 10


# The key of PostgreSQL's transaction-level advisory lock on the tree (any fixed 64-bit number).
TEAM_TREE_LOCK_KEY = int.from_bytes(b"teamtree")


def lock_team_tree() -> None:
    """Serialise changes to the tree's structure (moves, archiving, new sub-teams) until the
    transaction ends. Row locks cannot do it: whether a move makes a cycle depends on the
    parent links of teams nobody locks (the whole chain above the new parent), so two crossing
    moves would each check the tree as it was before the other. With one lock for the
    structure, the second move checks the tree the first one committed. SQLite serialises
    writers on its own (a transaction that writes holds the database's write lock)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TEAM_TREE_LOCK_KEY])


def _check_parent(team: Team, parent: Team | None) -> None:
    if parent is None:
        return
    if team.pk and parent.pk in team_subtree_ids([team.pk]):
        raise ValidationError(
            {"parent": _("A team cannot be moved under itself or one of its own sub-teams.")}, code="tree_cycle"
        )
    if parent.archived:
        raise ValidationError({"parent": _("A team cannot be placed under an archived team.")}, code="archived")


@transaction.atomic
def team_create(
    *,
    name: str,
    acting_user,
    slug: str = "",
    kind: str = "other",
    description: str = "",
    parent: Team | None = None,
    position: int | None = None,
) -> Team:
    require_permission(acting_user, TeamPermissions.ADD)
    name = (name or "").strip()
    if parent is not None:
        lock_team_tree()
        parent = Team.objects.select_for_update().get(pk=parent.pk)
    team = Team(
        name=name,
        slug=slug or _unique_slug(Team, name, fallback="team"),
        kind=kind,
        description=description,
        parent=parent,
        position=_next_sibling_position(parent) if position is None else position,
    )
    _check_parent(team, parent)
    team.full_clean()
    history_user(team, acting_user).save()
    change_record(action="team.created", obj=team, team=team, acting_user=acting_user)
    return team


@transaction.atomic
def team_update(*, team: Team, acting_user, **fields: Any) -> Team:
    """Change a team's own fields (not its place in the tree: see ``team_move``)."""
    require_permission(acting_user, TeamPermissions.CHANGE, team)
    refuse_unknown_fields(fields, _TEAM_FIELDS)
    team = Team.objects.select_for_update().get(pk=team.pk)
    for field, value in fields.items():
        setattr(team, field, value.strip() if isinstance(value, str) and field == "name" else value)
    team.full_clean()
    history_user(team, acting_user).save()
    change_record(action="team.updated", obj=team, team=team, acting_user=acting_user, data={"fields": sorted(fields)})
    return team


@transaction.atomic
def team_move(*, team: Team, new_parent: Team | None, acting_user, position: int | None = None) -> Team:
    """Put a team (with its subtree) under another parent, or at the top. A move under the
    team itself or one of its descendants would make a cycle and is refused."""
    require_permission(acting_user, TeamPermissions.CHANGE, team)
    # The structure lock first, then the rows, then the check on fresh data: two crossing moves
    # cannot together build a cycle that neither would build alone.
    lock_team_tree()
    ids = sorted({team.pk} | ({new_parent.pk} if new_parent else set()))
    # NO KEY: rows that merely point at these teams (change events, reviews' handlers) may still
    # be written meanwhile; that is what would otherwise deadlock with a review transition.
    locked = {t.pk: t for t in Team.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")}
    team = locked[team.pk]
    if new_parent is not None and new_parent.pk not in locked:
        raise ValidationError({"parent": _("That team no longer exists.")}, code="invalid")
    new_parent = locked[new_parent.pk] if new_parent else None
    _check_parent(team, new_parent)
    if team.parent_id == (new_parent.pk if new_parent else None) and position is None:
        return team
    if team.parent_id != (new_parent.pk if new_parent else None):
        team.position = _next_sibling_position(new_parent) if position is None else position
    elif position is not None:
        team.position = position
    old_parent_id = team.parent_id
    leads_above = set(
        Membership.objects.filter(is_lead=True, team_id__in=TeamTree.load().ancestors(team.pk)).values_list(
            "user_id", flat=True
        )
    )
    team.parent = new_parent
    team.full_clean()
    history_user(team, acting_user).save()
    if leads_above and old_parent_id != team.parent_id:
        # Who led above the team before may not lead above it any more.
        leadership_ended(user_ids=leads_above, team_ids=[team.pk], reason="team.moved", acting_user=acting_user)
    change_record(
        action="team.moved",
        obj=team,
        team=team,
        acting_user=acting_user,
        data={"from_parent": old_parent_id, "to_parent": team.parent_id, "position": team.position},
    )
    return team


@transaction.atomic
def team_archive(*, team: Team, acting_user) -> Team:
    """Archive instead of delete: the team leaves the org chart, its history stays."""
    require_permission(acting_user, TeamPermissions.CHANGE, team)
    lock_team_tree()  # no sub-team may arrive under it while we look
    team = Team.objects.select_for_update().get(pk=team.pk)
    if team.archived:
        return team
    if Team.objects.filter(parent=team, archived=False).exists():
        raise ValidationError(_("Archive or move this team's sub-teams first."), code="has_children")
    if team.roles.exclude(status="retired").exists():
        raise ValidationError(_("Retire this team's roles first."), code="has_roles")
    team.archived = True
    history_user(team, acting_user).save(update_fields=["archived", "updated_at"])
    change_record(action="team.archived", obj=team, team=team, acting_user=acting_user)
    return team


@transaction.atomic
def team_unarchive(*, team: Team, acting_user) -> Team:
    require_permission(acting_user, TeamPermissions.CHANGE, team)
    lock_team_tree()
    team = Team.objects.select_for_update().get(pk=team.pk)
    if team.parent_id and Team.objects.filter(pk=team.parent_id, archived=True).exists():
        raise ValidationError(_("Restore the parent team first."), code="archived_parent")
    if team.archived:
        team.archived = False
        history_user(team, acting_user).save(update_fields=["archived", "updated_at"])
        change_record(action="team.unarchived", obj=team, team=team, acting_user=acting_user)
    return team


@transaction.atomic
def team_core_duties_replace(*, team: Team, duties: Sequence[dict], acting_user) -> list[TeamDuty]:
    """Replace a team's ordered core duties as a whole.

    Each item is ``{"text": ..., "id": <optional existing core duty id>}``; an existing duty
    keeps its id (role duties point at it) when its id is given or its text is unchanged.
    Removing a core duty that role duties still serve is refused: remap those first.
    """
    require_permission(acting_user, TeamPermissions.CHANGE, team)
    # NO KEY UPDATE: serialises changes to this team's core duties without blocking the
    # foreign-key checks of other transactions that record a row pointing at the team (a role
    # saving its duty list writes a change event for it, checked at commit): with a plain FOR
    # UPDATE, that check and our wait for the core duties the role locked were a deadlock.
    team = Team.objects.select_for_update(no_key=True).get(pk=team.pk)
    if len(duties) > MAX_CORE_DUTIES:
        raise ValidationError(
            _("A team can have at most %(max)d core duties.") % {"max": MAX_CORE_DUTIES}, code="too_many"
        )
    # Locked in id order, as role_duties_replace locks the ones a duty list serves: a role that
    # starts serving a core duty and the removal of that duty wait for each other, and the
    # second one sees what the first did ("still served" here, "no such core duty" there).
    existing = {d.pk: d for d in TeamDuty.objects.select_for_update().filter(team=team).order_by("pk")}
    by_text: dict[str, list[TeamDuty]] = {}
    for duty in existing.values():
        by_text.setdefault(duty.text, []).append(duty)

    errors: dict[str, list[str]] = {}
    cleaned: list[tuple[str, int | None]] = []
    seen: set[str] = set()
    for index, item in enumerate(duties):
        try:
            text = clean_duty_text(item.get("text") if isinstance(item, dict) else None, label=_("Core duty"))
        except ValidationError as exc:
            errors[str(index)] = exc.messages
            continue
        key = duplicate_key(text)
        if key in seen:
            errors[str(index)] = [_("This core duty appears twice.")]
            continue
        seen.add(key)
        duty_id = item.get("id")
        if duty_id is not None and duty_id not in existing:
            errors[str(index)] = [_("Core duty %(id)s does not belong to this team.") % {"id": duty_id}]
            continue
        if duty_id is not None and any(duty_id == other for _text, other in cleaned):
            errors[str(index)] = [_("Core duty %(id)s appears twice.") % {"id": duty_id}]
            continue
        cleaned.append((text, duty_id))
    if errors:
        # Django flattens nested error dicts, so each message names the item it is about.
        raise ValidationError(
            {
                "duties": [
                    _("Core duty %(n)d: %(message)s") % {"n": int(index) + 1, "message": message}
                    for index, messages in errors.items()
                    for message in messages
                ]
            },
            code="invalid",
        )

    used: set[int] = {duty_id for _text, duty_id in cleaned if duty_id is not None}
    plan: list[tuple[str, TeamDuty | None]] = []
    for text, duty_id in cleaned:
        target = existing.get(duty_id) if duty_id is not None else None
        if target is None:
            target = next((d for d in by_text.get(text, []) if d.pk not in used), None)
            if target is not None:
                used.add(target.pk)
        plan.append((text, target))

    removed = [d for pk, d in existing.items() if pk not in used]
    if removed:
        served = TeamDuty.objects.filter(pk__in=[d.pk for d in removed], serving_duties__isnull=False).distinct()
        if served.exists():
            texts = "; ".join(d.text for d in served[:3])
            raise ValidationError(
                _("These core duties are still served by role duties and cannot be removed: %(texts)s")
                % {"texts": texts},
                code="protected",
            )
        for duty in removed:
            history_user(duty, acting_user).delete()

    kept = [d for _t, d in plan if d is not None]
    offset = 1_000_000
    for duty in kept:
        duty.position += offset
    TeamDuty.objects.bulk_update(kept, ["position"])
    result = []
    for position, (text, duty) in enumerate(plan, start=1):
        if duty is None:
            duty = TeamDuty(team=team, position=position, text=text)
        else:
            duty.position, duty.text = position, text
        duty.full_clean(validate_constraints=False)
        history_user(duty, acting_user).save()
        result.append(duty)
    Team.objects.filter(pk=team.pk).update(updated_at=timezone.now())
    change_record(
        action="team.core_duties_replaced",
        obj=team,
        team=team,
        acting_user=acting_user,
        data={"core_duties": [{"id": d.pk, "position": d.position, "text": d.text} for d in result]},
    )
    return result


def _grant_lead(user, team: Team) -> None:
    assign_perm(TeamPermissions.LEAD, user, team)


def _revoke_lead(user, team: Team) -> None:
    remove_perm(TeamPermissions.LEAD, user, team)


def _check_role_in_team(role, team: Team) -> None:
    if role is not None and role.team_id != team.pk:
        raise ValidationError({"role": _("The role must belong to the membership's team.")}, code="invalid")


@transaction.atomic
def membership_add(*, user, team: Team, acting_user, role=None, is_lead: bool = False) -> Membership:
    require_permission(acting_user, TeamPermissions.ADD_MEMBERSHIP, team)
    team = Team.objects.select_for_update().get(pk=team.pk)
    if team.archived:
        raise ValidationError({"team": _("People cannot join an archived team.")}, code="archived")
    _check_role_in_team(role, team)
    if Membership.objects.filter(user=user, team=team).exists():
        raise ValidationError({"user": _("This person is already a member of this team.")}, code="unique")
    membership = Membership(user=user, team=team, role=role, is_lead=is_lead)
    membership.full_clean()
    history_user(membership, acting_user).save()
    if is_lead:
        _grant_lead(user, team)
    change_record(
        action="membership.added",
        obj=membership,
        team=team,
        role=role,
        acting_user=acting_user,
        data={"user": user.pk, "is_lead": is_lead},
    )
    return membership


@transaction.atomic
def membership_update(*, membership: Membership, acting_user, role=..., is_lead: bool | None = None) -> Membership:
    """Change the role a member holds and/or their lead flag (granting or revoking the
    lead's object permission on the team)."""
    require_permission(acting_user, TeamPermissions.CHANGE_MEMBERSHIP, membership.team)
    # Only the membership row (lock_or_gone locks "self"): locking the joined team and person too
    # would block every writer that records a change about them (and deadlock with the handlers
    # of leadership_ended). Removed meanwhile: NotFoundError (404).
    membership = lock_or_gone(Membership.objects.select_related("team", "user"), membership.pk)
    update_fields = ["updated_at"]
    if role is not ...:
        _check_role_in_team(role, membership.team)
        membership.role = role
        update_fields.append("role")
    was_lead = membership.is_lead
    if is_lead is not None:
        membership.is_lead = is_lead
        update_fields.append("is_lead")
    membership.full_clean()
    history_user(membership, acting_user).save(update_fields=update_fields)
    if membership.is_lead and not was_lead:
        _grant_lead(membership.user, membership.team)
    elif was_lead and not membership.is_lead:
        _revoke_lead(membership.user, membership.team)
        leadership_ended(
            user_ids=[membership.user_id],
            team_ids=[membership.team_id],
            reason="membership.lead_removed",
            acting_user=acting_user,
        )
    change_record(
        action="membership.updated",
        obj=membership,
        team=membership.team,
        role=membership.role,
        acting_user=acting_user,
        data={"user": membership.user_id, "is_lead": membership.is_lead, "role": membership.role_id},
    )
    return membership


def membership_set_lead(*, membership: Membership, is_lead: bool, acting_user) -> Membership:
    return membership_update(membership=membership, is_lead=is_lead, acting_user=acting_user)


@transaction.atomic
def membership_remove(*, membership: Membership, acting_user) -> None:
    require_permission(acting_user, TeamPermissions.DELETE_MEMBERSHIP, membership.team)
    # Only the membership row (lock_or_gone locks "self"): locking the joined team and person too
    # would block every writer that records a change about them (and deadlock with the handlers
    # of leadership_ended). Removed meanwhile: NotFoundError (404).
    membership = lock_or_gone(Membership.objects.select_related("team", "user"), membership.pk)
    was_lead = membership.is_lead
    if was_lead:
        _revoke_lead(membership.user, membership.team)
    membership_id = membership.pk
    history_user(membership, acting_user).delete()
    membership.pk = membership_id  # delete() clears it; the change event names the membership
    if was_lead:
        # Before the change event: handlers lock review rows, and every writer takes the change
        # feed's lock last, so the order of locks is the same everywhere.
        leadership_ended(
            user_ids=[membership.user_id],
            team_ids=[membership.team_id],
            reason="membership.removed",
            acting_user=acting_user,
        )
    change_record(
        action="membership.removed",
        obj=membership,
        team=membership.team,
        acting_user=acting_user,
        data={"user": membership.user_id},
    )


@transaction.atomic
def person_set_active(*, user, is_active: bool, acting_user):
    """Deactivate a person (people are never deleted: their changes stay signed) or bring them
    back. A deactivated person leads nothing any more: work assigned to them as a lead moves on,
    in this transaction."""
    require_permission(acting_user, PERSON_CHANGE)
    user = User.objects.select_for_update(no_key=True).get(pk=user.pk)
    require_may_manage(editor=acting_user, target=user)  # HR manages people, not superusers
    if user.is_active == is_active:
        return user
    if not is_active and acting_user is not None and user.pk == acting_user.pk:
        raise ValidationError({"is_active": _("You cannot deactivate your own account.")}, code="invalid")
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    if not is_active:
        leadership_ended(user_ids=[user.pk], reason="person.deactivated", acting_user=acting_user)
    change_record(
        action="person.deactivated" if not is_active else "person.reactivated",
        obj=user,
        acting_user=acting_user,
        data={"user": user.pk},
    )
    return user


@transaction.atomic
def org_structure_repair(*, acting_user) -> list[OrgProblem]:
    """Repair what ``org_structure_problems`` finds, in one transaction, through the same
    services (and change events) as a person would: a cycle is broken by moving one of its
    teams (the most recently changed, then the lowest id) to the top; an active team under an
    archived one moves to the top; a lead gets the lead permission back; a lead permission
    without a lead membership is revoked. Returns the problems it repaired."""
    require_permission(acting_user, TeamPermissions.CHANGE)
    lock_team_tree()
    problems = org_structure_problems()
    for problem in problems:
        if problem.kind in ("cycle", "under_archived"):
            team = Team.objects.get(pk=problem.team_id)
            if problem.kind == "cycle":
                tree = TeamTree.load()
                on_cycle = Team.objects.filter(pk__in=[*tree.ancestors(team.pk), team.pk])
                team = on_cycle.filter(parent__isnull=False).order_by("-updated_at", "pk").first() or team
            team_move(team=team, new_parent=None, acting_user=acting_user)
            continue
        user = User.objects.get(pk=problem.user_id)
        team = Team.objects.get(pk=problem.team_id)
        if problem.kind == "lead_without_permission":
            _grant_lead(user, team)
            action = "membership.lead_permission_granted"
        else:
            _revoke_lead(user, team)
            action = "membership.lead_permission_revoked"
        change_record(
            action=action, obj=team, team=team, acting_user=acting_user, data={"user": user.pk, "repair": True}
        )
    return problems


_GROUP_FIELDS = ("name", "slug", "purpose", "owner", "starts_on", "ends_on")


@transaction.atomic
def project_group_create(*, name: str, acting_user, slug: str = "", **fields: Any) -> ProjectGroup:
    require_permission(acting_user, TeamPermissions.ADD_PROJECT_GROUP)
    refuse_unknown_fields(fields, _GROUP_FIELDS)
    name = (name or "").strip()
    group = ProjectGroup(name=name, slug=slug or _unique_slug(ProjectGroup, name, fallback="group"), **fields)
    group.full_clean()
    history_user(group, acting_user).save()
    change_record(action="project_group.created", obj=group, acting_user=acting_user)
    return group


@transaction.atomic
def project_group_update(*, group: ProjectGroup, acting_user, **fields: Any) -> ProjectGroup:
    require_permission(acting_user, TeamPermissions.CHANGE_PROJECT_GROUP, group)
    refuse_unknown_fields(fields, (*_GROUP_FIELDS, "archived"))
    group = ProjectGroup.objects.select_for_update().get(pk=group.pk)
    for field, value in fields.items():
        setattr(group, field, value)
    group.full_clean()
    history_user(group, acting_user).save()
    change_record(action="project_group.updated", obj=group, acting_user=acting_user, data={"fields": sorted(fields)})
    return group


def project_group_archive(*, group: ProjectGroup, acting_user) -> ProjectGroup:
    return project_group_update(group=group, archived=True, acting_user=acting_user)


@transaction.atomic
def project_group_member_add(
    *, group: ProjectGroup, user, home_team: Team, acting_user, role_in_group: str = ""
) -> ProjectGroupMember:
    require_permission(acting_user, TeamPermissions.CHANGE_PROJECT_GROUP, group)
    group = ProjectGroup.objects.select_for_update().get(pk=group.pk)
    if group.archived:
        raise ValidationError({"group": _("This project group is archived.")}, code="archived")
    if ProjectGroupMember.objects.filter(group=group, user=user).exists():
        raise ValidationError({"user": _("This person is already in this project group.")}, code="unique")
    member = ProjectGroupMember(group=group, user=user, home_team=home_team, role_in_group=role_in_group.strip())
    member.full_clean()
    history_user(member, acting_user).save()
    change_record(
        action="project_group.member_added",
        obj=group,
        team=home_team,
        acting_user=acting_user,
        data={"user": user.pk, "member": member.pk},
    )
    return member


@transaction.atomic
def project_group_member_update(*, member: ProjectGroupMember, acting_user, **fields: Any) -> ProjectGroupMember:
    require_permission(acting_user, TeamPermissions.CHANGE_PROJECT_GROUP, member.group)
    refuse_unknown_fields(fields, ("home_team", "role_in_group"))
    member = lock_or_gone(ProjectGroupMember.objects.all(), member.pk)
    for field, value in fields.items():
        setattr(member, field, value)
    member.full_clean()
    history_user(member, acting_user).save()
    change_record(
        action="project_group.member_updated",
        obj=member.group,
        team=member.home_team,
        acting_user=acting_user,
        data={"user": member.user_id, "member": member.pk},
    )
    return member


@transaction.atomic
def project_group_member_remove(*, member: ProjectGroupMember, acting_user) -> None:
    require_permission(acting_user, TeamPermissions.CHANGE_PROJECT_GROUP, member.group)
    member = lock_or_gone(ProjectGroupMember.objects.select_related("group", "home_team"), member.pk)
    change_record(
        action="project_group.member_removed",
        obj=member.group,
        team=member.home_team,
        acting_user=acting_user,
        data={"user": member.user_id},
    )
    history_user(member, acting_user).delete()
