"""Every write to roles and their duty lists.

``role_duties_replace`` is the only function that changes a duty list: the admin, the API,
approved reviews, accepted suggestions, revision restores and the template loader all call it,
so every change bumps ``Role.version`` once and leaves exactly one ``RoleRevision``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from orgstructure.authz import history_user, require_permission
from orgstructure.changes import change_record
from orgstructure.exceptions import ConflictError, StaleVersionError
from orgstructure.validation import clean_duty_text, duplicate_key, refuse_unknown_fields
from roles.models import Duty, RevisionSource, Role, RoleRevision, RoleStatus
from roles.permissions import RolePermissions
from teams.models import Team, TeamDuty

MAX_DUTIES_PER_ROLE = 50
_ROLE_FIELDS = ("title", "slug", "purpose", "headcount", "status")


@dataclass(frozen=True)
class DutyInput:
    """One item of a duty list as an editor sent it."""

    text: str
    serves: int | None = None
    id: int | None = None


def _unique_role_slug(team: Team, title: str) -> str:
    base = slugify(title)[:90] or "role"
    candidate, n = base, 2
    while Role.objects.filter(team=team, slug=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


@transaction.atomic
def role_create(
    *,
    team: Team,
    title: str,
    acting_user,
    slug: str = "",
    purpose: str = "",
    headcount: int = 1,
    status: str = RoleStatus.ACTIVE,
    duties: Sequence[Any] = (),
    reason: str = "",
    source: str = RevisionSource.ADMIN,
) -> Role:
    """Create a role; if ``duties`` are given they become revision 1."""
    require_permission(acting_user, RolePermissions.ADD)
    team = Team.objects.select_for_update().get(pk=team.pk)
    if team.archived:
        raise ValidationError({"team": _("Roles cannot be added to an archived team.")}, code="archived")
    title = (title or "").strip()
    role = Role(
        team=team,
        title=title,
        slug=slug or _unique_role_slug(team, title),
        purpose=purpose,
        headcount=headcount,
        status=status,
        version=0,
    )
    role.full_clean()
    history_user(role, acting_user).save()
    change_record(action="role.created", obj=role, team=team, role=role, acting_user=acting_user)
    if duties:
        role_duties_replace(
            role=role,
            duties=duties,
            expected_version=0,
            acting_user=acting_user,
            reason=reason or _("Role created"),
            source=source,
        )
        role.refresh_from_db()
    return role


@transaction.atomic
def role_update(*, role: Role, acting_user, **fields: Any) -> Role:
    """Change a role's own fields. Its team is fixed once created; its duties change only
    through ``role_duties_replace``."""
    require_permission(acting_user, RolePermissions.CHANGE, role)
    refuse_unknown_fields(fields, _ROLE_FIELDS)
    role = Role.objects.select_for_update().get(pk=role.pk)
    changed = [field for field, value in fields.items() if getattr(role, field) != value]
    if not changed:
        return role
    for field in changed:
        value = fields[field]
        setattr(role, field, value.strip() if field == "title" and isinstance(value, str) else value)
    role.full_clean()
    history_user(role, acting_user).save(update_fields=[*changed, "updated_at"])
    change_record(
        action="role.retired" if "status" in changed and role.status == RoleStatus.RETIRED else "role.updated",
        obj=role,
        team=role.team_id,
        role=role,
        acting_user=acting_user,
        data={"fields": sorted(changed), "status": role.status},
    )
    return role


def role_retire(*, role: Role, acting_user) -> Role:
    """Retire instead of delete: the role and its revisions stay, it leaves the org chart."""
    return role_update(role=role, status=RoleStatus.RETIRED, acting_user=acting_user)


def role_activate(*, role: Role, acting_user) -> Role:
    return role_update(role=role, status=RoleStatus.ACTIVE, acting_user=acting_user)


def _as_input(item: Any) -> DutyInput:
    if isinstance(item, DutyInput):
        return item
    if isinstance(item, Duty):
        return DutyInput(text=item.text, serves=item.serves_id, id=item.pk)
    if isinstance(item, dict):
        serves = item.get("serves")
        if isinstance(serves, TeamDuty):
            serves = serves.pk
        return DutyInput(text=item.get("text"), serves=serves, id=item.get("id"))
    raise ValidationError(_("Each duty must be an object with a text."), code="invalid")


def _referenced_core_duty_ids(duties: Sequence[Any]) -> list[int]:
    ids = set()
    for raw in duties:
        try:
            serves = _as_input(raw).serves
        except ValidationError:
            continue
        if isinstance(serves, int) and not isinstance(serves, bool) and 0 < serves < 2**63:
            ids.add(serves)
    return sorted(ids)


def duty_list_normalise(*, role: Role, duties: Sequence[Any], lock: bool = False) -> list[DutyInput]:
    """Validate a proposed duty list against the role's team; raise ``ValidationError`` with
    messages per item (``{"duties": {"<index>": [...]}}``) or return the cleaned list.

    ``lock=True`` (inside the transaction that stores the list) locks the core duties the list
    serves, in id order, as ``team_core_duties_replace`` locks the ones it may remove: whichever
    comes second sees what the first did, and a core duty removed meanwhile is an error here
    (400), not a foreign-key failure at commit (500)."""
    if not isinstance(duties, (list, tuple)):
        raise ValidationError({"duties": [_("The duty list must be a list.")]}, code="invalid")
    if len(duties) > MAX_DUTIES_PER_ROLE:
        raise ValidationError(
            {"duties": [_("A role can have at most %(max)d duties.") % {"max": MAX_DUTIES_PER_ROLE}]},
            code="too_many",
        )
    if lock:
        referenced = TeamDuty.objects.select_for_update().filter(
            team_id=role.team_id, pk__in=_referenced_core_duty_ids(duties)
        )
        core_ids = set(referenced.order_by("pk").values_list("pk", flat=True))
    else:
        core_ids = set(TeamDuty.objects.filter(team_id=role.team_id).values_list("pk", flat=True))
    own_ids = set(Duty.objects.filter(role=role).values_list("pk", flat=True))
    errors: dict[str, list[str]] = {}
    cleaned: list[DutyInput] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(duties):
        try:
            item = _as_input(raw)
            text = clean_duty_text(item.text, label=_("Duty"))
        except ValidationError as exc:
            errors[str(index)] = exc.messages
            continue
        problems = []
        key = duplicate_key(text)
        if key in seen:
            problems.append(_("This duty repeats duty %(n)d.") % {"n": seen[key] + 1})
        else:
            seen[key] = index
        serves = item.serves
        if serves is not None and (isinstance(serves, bool) or not isinstance(serves, int)):
            problems.append(_("“Serves” must be the id of a core duty."))
        elif serves is not None and serves not in core_ids:
            problems.append(_("A duty can only serve a core duty of the role's own team."))
        duty_id = item.id
        if duty_id is not None and (
            isinstance(duty_id, bool) or not isinstance(duty_id, int) or duty_id not in own_ids
        ):
            duty_id = None  # an id from elsewhere is only a hint: treat the item as new
        if problems:
            errors[str(index)] = problems
            continue
        cleaned.append(DutyInput(text=text, serves=serves, id=duty_id))
    if errors:
        # Django flattens nested error dicts, so each message names the item it is about.
        raise ValidationError(
            {
                "duties": [
                    _("Duty %(n)d: %(message)s") % {"n": int(index) + 1, "message": message}
                    for index, messages in errors.items()
                    for message in messages
                ]
            },
            code="invalid",
        )
    return cleaned


def duty_snapshot(duties: Sequence[Duty], core_texts: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": d.pk,
            "position": d.position,
            "text": d.text,
            "serves": d.serves_id,
            "serves_text": core_texts.get(d.serves_id) if d.serves_id else None,
        }
        for d in duties
    ]


def _last_author(role: Role) -> str | None:
    last = RoleRevision.objects.filter(role=role).select_related("author").order_by("-number").first()
    if last is None:
        return None
    if last.author is None:
        return _("the system")
    return last.author.get_full_name() or last.author.get_username()


@transaction.atomic
def role_duties_replace(
    *,
    role: Role,
    duties: Sequence[Any],
    expected_version: int,
    acting_user,
    reason: str = "",
    source: str = RevisionSource.ADMIN,
    restored_from: RoleRevision | None = None,
) -> RoleRevision | None:
    """Replace a role's duty list as a whole.

    Refuses a stale ``expected_version`` (``StaleVersionError``: someone saved in between),
    an invalid list (``ValidationError``: empty or duplicate duties, too long, ``serves``
    outside the role's team) and changes to a retired role (``ConflictError``). Otherwise bumps
    ``version`` by one and writes one ``RoleRevision`` with the new list. An unchanged list
    writes nothing and returns ``None``.
    """
    require_permission(acting_user, RolePermissions.CHANGE_DUTIES, role)
    if source not in RevisionSource.values:
        raise ValidationError({"source": _("Unknown source.")}, code="invalid")
    # NO KEY UPDATE: two saves of this list wait for each other, while rows that merely point
    # at the role (change events, reviews) can still be written by others meanwhile.
    role = Role.objects.select_for_update(no_key=True).get(pk=role.pk)
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise ValidationError({"expected_version": _("The expected version must be a whole number.")}, code="invalid")
    if expected_version != role.version:
        changed_by = _last_author(role)
        raise StaleVersionError(
            _(
                "%(role)s was changed by %(who)s since you opened it (you saw version %(seen)d, it is now %(now)d). "
                "Reload to see their changes, then make yours again."
            )
            % {
                "role": role.title,
                "who": changed_by or _("someone else"),
                "seen": expected_version,
                "now": role.version,
            },
            current_version=role.version,
            changed_by=changed_by,
        )
    if role.status == RoleStatus.RETIRED:
        raise ConflictError(_("A retired role's duties cannot be changed; make it active or draft first."))
    cleaned = duty_list_normalise(role=role, duties=duties, lock=True)

    existing = list(Duty.objects.filter(role=role).order_by("position"))
    current = [(d.text, d.serves_id) for d in existing]
    if current == [(d.text, d.serves) for d in cleaned]:
        return None

    # Keep a duty's id when the editor sent it, or when its text is unchanged: suggestions and
    # reviews that point at a duty keep pointing at the same one.
    by_id = {d.pk: d for d in existing}
    used: set[int] = {d.id for d in cleaned if d.id is not None}
    by_text: dict[str, list[Duty]] = {}
    for d in existing:
        if d.pk not in used:
            by_text.setdefault(d.text, []).append(d)
    plan: list[tuple[DutyInput, Duty | None]] = []
    for item in cleaned:
        target = by_id.get(item.id) if item.id is not None else None
        if target is None:
            candidates = by_text.get(item.text) or []
            target = candidates.pop(0) if candidates else None
            if target is not None:
                used.add(target.pk)
        plan.append((item, target))

    removed_ids = [d.pk for d in existing if d.pk not in used]
    if removed_ids:
        Duty.objects.filter(pk__in=removed_ids).delete()
    kept = [target for _item, target in plan if target is not None]
    offset = 1_000_000  # step out of the way of the (role, position) unique constraint
    for duty in kept:
        duty.position += offset
    Duty.objects.bulk_update(kept, ["position"])
    new_duties: list[Duty] = []
    to_create: list[Duty] = []
    for position, (item, target) in enumerate(plan, start=1):
        if target is None:
            target = Duty(role=role, position=position, text=item.text, serves_id=item.serves)
            to_create.append(target)
        else:
            target.position, target.text, target.serves_id = position, item.text, item.serves
        new_duties.append(target)
    Duty.objects.bulk_update(kept, ["position", "text", "serves"])
    Duty.objects.bulk_create(to_create)
    if any(d.pk is None for d in to_create):  # backends without RETURNING ids
        lookup = {d.position: d.pk for d in Duty.objects.filter(role=role)}
        for d in to_create:
            d.pk = lookup[d.position]

    role.version += 1
    role.updated_at = timezone.now()
    role.save(update_fields=["version", "updated_at"])  # the version is not part of the audit history
    core_texts = dict(TeamDuty.objects.filter(team_id=role.team_id).values_list("pk", "text"))
    revision = RoleRevision.objects.create(
        role=role,
        number=role.version,
        duties=duty_snapshot(new_duties, core_texts),
        author=acting_user,
        reason=(reason or "").strip(),
        source=source,
        restored_from=restored_from,
    )
    change_record(
        action="role.duties_replaced",
        obj=role,
        team=role.team_id,
        role=role,
        acting_user=acting_user,
        data={"version": role.version, "revision": revision.pk, "source": source},
    )
    return revision


def role_revision_restore(
    *, revision: RoleRevision, expected_version: int, acting_user, reason: str = ""
) -> RoleRevision | None:
    """Make an old revision's list the current one: a new revision, through the same path.
    Core duties that no longer exist are dropped from the ``serves`` links."""
    role = revision.role
    core_ids = set(TeamDuty.objects.filter(team_id=role.team_id).values_list("pk", flat=True))
    duties = [
        DutyInput(
            text=item["text"], serves=item.get("serves") if item.get("serves") in core_ids else None, id=item.get("id")
        )
        for item in revision.duties
    ]
    return role_duties_replace(
        role=role,
        duties=duties,
        expected_version=expected_version,
        acting_user=acting_user,
        reason=reason or _("Restored revision %(number)d") % {"number": revision.number},
        source=RevisionSource.RESTORE,
        restored_from=revision,
    )
