"""Every write to review schedules, cycles, role reviews and suggestions.

Each function is one transaction. A transition locks the rows it reasons about, always in the
same order — cycle, then review or suggestion, then role — and checks the state under the lock,
so that it happens exactly once; from a wrong state it raises ``ConflictError`` and changes
nothing. Duty lists change only through ``role_duties_replace``, with the role version the
proposal was based on: when the role changed in between, the caller gets ``StaleVersionError``
and HR may choose to apply the proposal onto the current list (``onto_current=True``) instead.
Mails are queued with ``transaction.on_commit``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orgstructure.authz import require_permission
from orgstructure.changes import change_record
from orgstructure.exceptions import ConflictError, MergeConflict, StaleVersionError
from orgstructure.models import ChangeEvent
from orgstructure.validation import clean_duty_text, duplicate_key, refuse_unknown_fields
from reviews import notifications
from reviews.models import (
    CycleState,
    ReviewCycle,
    ReviewOutcome,
    ReviewSchedule,
    ReviewState,
    RoleReview,
    Suggestion,
    SuggestionKind,
    SuggestionState,
)
from reviews.permissions import (
    ReviewPermissions,
    can_decide_reviews,
    can_suggest,
    may_be_reviewer,
    may_submit_review,
)
from roles.merging import MergeResult, duty_lists_merge
from roles.models import Duty, RevisionSource, Role, RoleRevision, RoleStatus
from roles.services import duty_list_normalise, role_duties_replace
from teams.leadership import LeadershipEnded, LeadershipStarted
from teams.models import Membership, Team
from teams.selectors import TeamTree, team_subtree_ids
from teams.services import lock_team_tree

RATIONALE_MAX_LENGTH = 5000
NOTE_MAX_LENGTH = 5000
UNDECIDED_REVIEW_STATES = (ReviewState.PENDING, ReviewState.SENT_BACK, ReviewState.SUBMITTED)


# --- helpers -------------------------------------------------------------------------------


def _require_active(acting_user) -> None:
    if acting_user is None or not acting_user.is_authenticated:
        raise PermissionDenied(_("Sign in first."))
    if not acting_user.is_active:
        raise PermissionDenied(_("Your account is inactive."))


def _clean_note(value: str, *, field: str, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: [_("Write a note that says why.")]}, code="required")
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {field: [_("Keep it under %(max)d characters.") % {"max": NOTE_MAX_LENGTH}]}, code="max_length"
        )
    return text


def _lock_cycle(cycle_id: int) -> ReviewCycle:
    return ReviewCycle.objects.select_for_update().get(pk=cycle_id)


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def cycle_team_ids(cycle: ReviewCycle) -> set[int] | None:
    """The teams a cycle covers (chosen teams with their subtrees), or ``None`` for all."""
    chosen = list(cycle.teams.values_list("pk", flat=True))
    return team_subtree_ids(chosen) if chosen else None


def reviewer_for_teams(team_ids: Iterable[int]) -> dict[int, int | None]:
    """team id → the user id of a lead of that team or of the nearest team above that has one
    (the first by username), or ``None``. Two queries, whatever the size of the tree."""
    tree = TeamTree.load()
    first_lead: dict[int, int] = {}
    for team_id, user_id in (
        Membership.objects.filter(is_lead=True, user__is_active=True)
        .order_by("team_id", "user__username")
        .values_list("team_id", "user_id")
    ):
        first_lead.setdefault(team_id, user_id)
    result: dict[int, int | None] = {}
    for team_id in team_ids:
        led_above = [pk for pk in tree.path(team_id) if pk in first_lead]
        result[team_id] = first_lead[led_above[-1]] if led_above else None
    return result


def _stale_message(*, role: Role, base_version: int, what: str) -> str:
    return _(
        "%(role)s changed since this %(what)s was made (it was based on version %(base)d; the role is now at "
        "version %(now)d). Look at the current duties; if the proposal still fits, apply it onto the current list."
    ) % {"role": role.title, "what": what, "base": base_version, "now": role.version}


def _duty_list_at(role_id: int, version: int | None) -> list[dict] | None:
    """The role's duty list as it was at ``version`` (from its revision), or ``None`` if no
    revision records it."""
    if version == 0:
        return []
    if version is None:
        return None
    snapshot = RoleRevision.objects.filter(role_id=role_id, number=version).values_list("duties", flat=True).first()
    return list(snapshot) if snapshot is not None else None


def _duty_list_now(role_id: int) -> list[dict]:
    rows = Duty.objects.filter(role_id=role_id).order_by("position").values_list("pk", "text", "serves_id")
    return [{"id": pk, "text": text, "serves": serves} for pk, text, serves in rows]


def _merge_onto_current(
    *, role: Role, base_version: int | None, proposed: Sequence[dict], resolutions=None
) -> MergeResult:
    """Merge a proposal made from ``base_version`` into the role's current list (three ways,
    on duty identity: ``roles.merging``). Without a revision of the base (never expected: every
    version has one) the proposal is taken as made from the current list."""
    current = _duty_list_now(role.pk)
    base = _duty_list_at(role.pk, base_version)
    if base is None:
        base = current
    return duty_lists_merge(base=base, current=current, proposed=proposed, resolutions=resolutions)


def review_merge_preview(review: RoleReview, *, resolutions=None) -> MergeResult | None:
    """What approving a stale "revise" review onto the current list would give: the merged list
    and the conflicts to resolve. ``None`` when there is nothing to merge."""
    if review.outcome != ReviewOutcome.REVISE:
        return None
    role = Role.objects.get(pk=review.role_id)
    if role.version == review.base_version:
        return None
    return _merge_onto_current(
        role=role, base_version=review.base_version, proposed=review.proposed_duties, resolutions=resolutions
    )


def review_proposal_rebased(review: RoleReview) -> tuple[list[dict], list]:
    """A sent-back proposal carried over onto the role's current list, for the reviewer's form:
    the changes made since it was submitted are merged in; duties changed on both sides keep
    their current version (returned as conflicts, so the form can say which to look at)."""
    role = Role.objects.get(pk=review.role_id)
    if role.version == review.base_version:
        return list(review.proposed_duties), []
    result = _merge_onto_current(role=role, base_version=review.base_version, proposed=review.proposed_duties)
    if not result.conflicts:
        return result.duties, []
    resolved = _merge_onto_current(
        role=role,
        base_version=review.base_version,
        proposed=review.proposed_duties,
        resolutions={c.key: {"take": "current"} for c in result.conflicts},
    )
    return resolved.duties, result.conflicts


def _require_fresh(
    *, role: Role, base_version: int, onto_current: bool, expected_version: int | None, what: str, resolutions=None
):
    if role.version == base_version:
        return
    if not onto_current:
        raise StaleVersionError(
            _stale_message(role=role, base_version=base_version, what=what), current_version=role.version
        )
    if resolutions and expected_version is None:
        # Choices made against one version must not be applied blindly over a later change.
        raise ValidationError(
            {
                "expected_version": [
                    _("Send the role version your choices were made against (current_version of the conflict).")
                ]
            },
            code="required",
        )
    if expected_version is not None and expected_version != role.version:
        raise StaleVersionError(
            _(
                "%(role)s changed again while you were deciding (you saw version %(seen)d, it is now %(now)d). "
                "Look at the current duties and decide again."
            )
            % {"role": role.title, "seen": expected_version, "now": role.version},
            current_version=role.version,
        )


def _apply_merged(*, role: Role, result: MergeResult, acting_user, reason: str, source: str) -> RoleRevision | None:
    if result.conflicts:
        raise MergeConflict(
            _(
                "%(count)d duties of %(role)s were changed both since the proposal was made and by it. Nothing was "
                "applied: choose for each one (current, proposed or your own text), then apply."
            )
            % {"count": len(result.conflicts), "role": role.title},
            conflicts=result.conflicts,
            current_version=role.version,
        )
    return role_duties_replace(
        role=role,
        duties=result.duties,
        expected_version=role.version,
        acting_user=acting_user,
        reason=reason,
        source=source,
    )


def _apply_duties(
    *,
    role_id: int,
    duties: Sequence[dict],
    base_version: int,
    onto_current: bool,
    acting_user,
    reason: str,
    source: str,
    what: str,
    resolutions=None,
    expected_version: int | None = None,
) -> RoleRevision | None:
    """Apply a proposal made from ``base_version``. When the role changed since, only with
    ``onto_current``, and then merged three ways with the current list under the role's row
    lock (so a concurrent edit is either merged or waited for, never lost); conflicts apply
    nothing (``MergeConflict``) until ``resolutions`` decide them."""
    role = Role.objects.select_for_update().get(pk=role_id)
    _require_fresh(
        role=role,
        base_version=base_version,
        onto_current=onto_current,
        expected_version=expected_version,
        what=what,
        resolutions=resolutions,
    )
    if role.version == base_version:
        result = MergeResult(duties=list(duties))
    else:
        result = _merge_onto_current(role=role, base_version=base_version, proposed=duties, resolutions=resolutions)
    return _apply_merged(role=role, result=result, acting_user=acting_user, reason=reason, source=source)


# --- schedules -----------------------------------------------------------------------------

_SCHEDULE_FIELDS = ("name", "starts_on", "every_months", "cycle_length_days", "active", "next_run_on", "teams")


@transaction.atomic
def review_schedule_create(
    *,
    name: str,
    starts_on: dt.date,
    acting_user,
    every_months: int = 3,
    cycle_length_days: int = 14,
    teams: Iterable[Team] = (),
    active: bool = True,
) -> ReviewSchedule:
    require_permission(acting_user, ReviewPermissions.ADD_SCHEDULE)
    schedule = ReviewSchedule(
        name=(name or "").strip(),
        starts_on=starts_on,
        every_months=every_months,
        cycle_length_days=cycle_length_days,
        active=active,
        next_run_on=starts_on,
    )
    schedule.full_clean()
    schedule.save()
    schedule.teams.set(list(teams))
    change_record(action="review_schedule.created", obj=schedule, acting_user=acting_user)
    return schedule


@transaction.atomic
def review_schedule_update(*, schedule: ReviewSchedule, acting_user, **fields: Any) -> ReviewSchedule:
    require_permission(acting_user, ReviewPermissions.CHANGE_SCHEDULE)
    refuse_unknown_fields(fields, _SCHEDULE_FIELDS)
    schedule = ReviewSchedule.objects.select_for_update().get(pk=schedule.pk)
    teams = fields.pop("teams", None)
    if "starts_on" in fields and "next_run_on" not in fields and fields["starts_on"] != schedule.starts_on:
        fields["next_run_on"] = fields["starts_on"]
    for field, value in fields.items():
        setattr(schedule, field, value.strip() if field == "name" and isinstance(value, str) else value)
    schedule.full_clean()
    schedule.save()
    if teams is not None:
        schedule.teams.set(list(teams))
    change_record(
        action="review_schedule.updated",
        obj=schedule,
        acting_user=acting_user,
        data={"fields": sorted([*fields, *(["teams"] if teams is not None else [])])},
    )
    return schedule


def review_schedules_run(*, today: dt.date | None = None, acting_user=None) -> list[ReviewCycle]:
    """Open the cycles that are due. Each schedule is handled in its own transaction under a
    row lock, and a cycle is unique per (schedule, start date): running it twice, or from two
    crons at once, opens nothing twice. Missed periods are not replayed: one cycle opens for
    the latest due date and the schedule moves on to the next future one."""
    today = today or timezone.localdate()
    opened = []
    due = ReviewSchedule.objects.filter(active=True, next_run_on__lte=today).order_by("pk")
    for schedule_id in list(due.values_list("pk", flat=True)):
        cycle = _review_schedule_run_one(schedule_id=schedule_id, today=today, acting_user=acting_user)
        if cycle is not None:
            opened.append(cycle)
    return opened


@transaction.atomic
def _review_schedule_run_one(*, schedule_id: int, today: dt.date, acting_user) -> ReviewCycle | None:
    require_permission(acting_user, ReviewPermissions.MANAGE_CYCLE)
    schedule = (
        ReviewSchedule.objects.select_for_update().filter(pk=schedule_id, active=True, next_run_on__lte=today).first()
    )
    if schedule is None:
        return None  # another run got here first
    # The occurrences are starts_on + k * every_months; take the latest one not after today.
    k = 0
    while _add_months(schedule.starts_on, (k + 1) * schedule.every_months) <= today:
        k += 1
    start = max(_add_months(schedule.starts_on, k * schedule.every_months), schedule.next_run_on)
    schedule.next_run_on = _add_months(schedule.starts_on, (k + 1) * schedule.every_months)
    schedule.save(update_fields=["next_run_on", "updated_at"])
    if ReviewCycle.objects.filter(schedule=schedule, starts_on=start).exists():
        return None
    cycle = ReviewCycle.objects.create(
        name=f"{schedule.name} {start.isoformat()}",
        schedule=schedule,
        starts_on=start,
        due_on=start + dt.timedelta(days=schedule.cycle_length_days - 1),
        state=CycleState.DRAFT,
    )
    cycle.teams.set(list(schedule.teams.all()))
    change_record(action="review_cycle.created", obj=cycle, acting_user=acting_user, data={"schedule": schedule.pk})
    return review_cycle_open(cycle=cycle, acting_user=acting_user)


# --- cycles --------------------------------------------------------------------------------

_CYCLE_FIELDS = ("name", "starts_on", "due_on", "teams")


@transaction.atomic
def review_cycle_create(
    *, name: str, starts_on: dt.date, due_on: dt.date, acting_user, teams: Iterable[Team] = ()
) -> ReviewCycle:
    require_permission(acting_user, ReviewPermissions.ADD_CYCLE)
    cycle = ReviewCycle(
        name=(name or "").strip(),
        starts_on=starts_on,
        due_on=due_on,
        state=CycleState.DRAFT,
        created_by=acting_user if acting_user is not None else None,
    )
    cycle.full_clean()
    cycle.save()
    cycle.teams.set(list(teams))
    change_record(action="review_cycle.created", obj=cycle, acting_user=acting_user)
    return cycle


@transaction.atomic
def review_cycle_update(*, cycle: ReviewCycle, acting_user, **fields: Any) -> ReviewCycle:
    """Rename a cycle or move its due date; its scope and start only change while it is a draft."""
    require_permission(acting_user, ReviewPermissions.MANAGE_CYCLE)
    refuse_unknown_fields(fields, _CYCLE_FIELDS)
    cycle = _lock_cycle(cycle.pk)
    if cycle.state in (CycleState.CLOSED, CycleState.CANCELLED):
        raise ConflictError(_("A closed or cancelled cycle cannot be changed."))
    if cycle.state != CycleState.DRAFT and ({"teams", "starts_on"} & set(fields)):
        raise ConflictError(_("The teams and start date of a cycle are fixed once it is open."))
    teams = fields.pop("teams", None)
    for field, value in fields.items():
        setattr(cycle, field, value.strip() if field == "name" and isinstance(value, str) else value)
    cycle.full_clean()
    cycle.save()
    if teams is not None:
        cycle.teams.set(list(teams))
    change_record(action="review_cycle.updated", obj=cycle, acting_user=acting_user, data={"fields": sorted(fields)})
    return cycle


@transaction.atomic
def review_cycle_open(*, cycle: ReviewCycle, acting_user) -> ReviewCycle:
    """draft → open: one review per active role in scope, assigned to a lead of its team or of
    the nearest team above; roles with no lead anywhere get a review without reviewer, which
    the dashboard lists for HR. Open suggestions on those roles join the cycle."""
    require_permission(acting_user, ReviewPermissions.MANAGE_CYCLE)
    lock_team_tree()  # the leads it assigns stay leads until it commits (see lock_team_tree)
    cycle = _lock_cycle(cycle.pk)
    if cycle.state != CycleState.DRAFT:
        raise ConflictError(
            _("Only a draft cycle can be opened; this one is %(state)s.") % {"state": cycle.get_state_display()}
        )
    team_ids = cycle_team_ids(cycle)
    roles = Role.objects.filter(status=RoleStatus.ACTIVE, team__archived=False)
    if team_ids is not None:
        roles = roles.filter(team_id__in=team_ids)
    rows = list(roles.order_by("pk").values_list("pk", "team_id", "version"))
    reviewer_of = reviewer_for_teams({team_id for _pk, team_id, _v in rows})
    RoleReview.objects.bulk_create(
        [
            RoleReview(cycle=cycle, role_id=pk, reviewer_id=reviewer_of[team_id], base_version=version)
            for pk, team_id, version in rows
        ],
        batch_size=1000,
    )
    cycle.state = CycleState.OPEN
    cycle.opened_at = timezone.now()
    cycle.save(update_fields=["state", "opened_at", "updated_at"])
    joined = Suggestion.objects.filter(state=SuggestionState.OPEN, role__reviews__cycle=cycle).exclude(
        cycle__state=CycleState.OPEN
    )
    joined_count = Suggestion.objects.filter(pk__in=list(joined.values_list("pk", flat=True))).update(cycle=cycle)
    unassigned = sum(1 for _pk, team_id, _v in rows if reviewer_of[team_id] is None)
    change_record(
        action="review_cycle.opened",
        obj=cycle,
        acting_user=acting_user,
        data={"reviews": len(rows), "unassigned": unassigned, "suggestions_joined": joined_count},
    )
    notifications.cycle_opened(cycle_id=cycle.pk)
    return cycle


@transaction.atomic
def review_cycle_close(*, cycle: ReviewCycle, acting_user, force: bool = False) -> ReviewCycle:
    """open → closed. Refused while reviews are undecided (pending, sent back or submitted)
    unless ``force``: HR closes it explicitly and those reviews become "not reviewed"."""
    require_permission(acting_user, ReviewPermissions.MANAGE_CYCLE)
    cycle = _lock_cycle(cycle.pk)
    if cycle.state != CycleState.OPEN:
        raise ConflictError(
            _("Only an open cycle can be closed; this one is %(state)s.") % {"state": cycle.get_state_display()}
        )
    undecided = RoleReview.objects.filter(cycle=cycle, state__in=UNDECIDED_REVIEW_STATES)
    count = undecided.count()
    if count and not force:
        raise ConflictError(
            _(
                "%(count)d reviews of this cycle are not decided yet. Decide them, or close the cycle explicitly: "
                "they will be marked “not reviewed”."
            )
            % {"count": count},
            code="reviews_pending",
        )
    now = timezone.now()
    not_reviewed = undecided.update(
        state=ReviewState.NOT_REVIEWED, decided_at=now, decided_by=acting_user, updated_at=now
    )
    cycle.state = CycleState.CLOSED
    cycle.closed_at = now
    cycle.save(update_fields=["state", "closed_at", "updated_at"])
    change_record(
        action="review_cycle.closed",
        obj=cycle,
        acting_user=acting_user,
        data={
            "forced": bool(force and not_reviewed),
            "not_reviewed": not_reviewed,
            "approved": RoleReview.objects.filter(cycle=cycle, state=ReviewState.APPROVED).count(),
            "suggestions_accepted": cycle.suggestions.filter(state=SuggestionState.ACCEPTED).count(),
            "suggestions_open": cycle.suggestions.filter(state=SuggestionState.OPEN).count(),
        },
    )
    return cycle


@transaction.atomic
def review_cycle_cancel(*, cycle: ReviewCycle, acting_user) -> ReviewCycle:
    """draft or open → cancelled; undecided reviews become "not reviewed". Suggestions stay
    open: they are decided on their own."""
    require_permission(acting_user, ReviewPermissions.MANAGE_CYCLE)
    cycle = _lock_cycle(cycle.pk)
    if cycle.state not in (CycleState.DRAFT, CycleState.OPEN):
        raise ConflictError(
            _("Only a draft or open cycle can be cancelled; this one is %(state)s.")
            % {"state": cycle.get_state_display()}
        )
    now = timezone.now()
    not_reviewed = RoleReview.objects.filter(cycle=cycle, state__in=UNDECIDED_REVIEW_STATES).update(
        state=ReviewState.NOT_REVIEWED, decided_at=now, decided_by=acting_user, updated_at=now
    )
    cycle.state = CycleState.CANCELLED
    cycle.closed_at = now
    cycle.save(update_fields=["state", "closed_at", "updated_at"])
    change_record(
        action="review_cycle.cancelled", obj=cycle, acting_user=acting_user, data={"not_reviewed": not_reviewed}
    )
    return cycle


# --- role reviews --------------------------------------------------------------------------


def _lock_review_in_open_cycle(review: RoleReview) -> tuple[ReviewCycle, RoleReview]:
    cycle = _lock_cycle(review.cycle_id)
    review = RoleReview.objects.select_for_update().get(pk=review.pk)
    if cycle.state != CycleState.OPEN:
        raise ConflictError(
            _("The cycle %(cycle)s is %(state)s: its reviews can no longer change.")
            % {"cycle": cycle.name, "state": cycle.get_state_display()}
        )
    return cycle, review


def _duty_rows(duties) -> list[dict]:
    return [{"id": d.id, "text": d.text, "serves": d.serves} for d in duties]


def _list_edited(posted: Any, current: Sequence[Duty]) -> bool:
    """Whether a posted list differs from the current one: texts (stripped), order, and the
    "serves" links of the items that send one."""
    if not isinstance(posted, (list, tuple)) or len(posted) != len(current):
        return True
    for item, duty in zip(posted, current, strict=True):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            return True
        if item["text"].strip() != duty.text or ("serves" in item and item["serves"] != duty.serves_id):
            return True
    return False


def _with_identities(rows: list[dict], current: Sequence[Duty]) -> list[dict]:
    """Give each proposed item without an id the id of the current duty with the same text (a
    script may not send ids): the proposal then says which duties it keeps, for the merge."""
    taken = {row["id"] for row in rows if row["id"] is not None}
    by_text: dict[str, int] = {}
    for duty in current:
        if duty.pk not in taken:
            by_text.setdefault(duty.text, duty.pk)
    for row in rows:
        if row["id"] is None and row["text"] in by_text:
            row["id"] = by_text.pop(row["text"])
    return rows


@transaction.atomic
def role_review_submit(
    *,
    review: RoleReview,
    outcome: str,
    acting_user,
    duties: Sequence[Any] | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> RoleReview:
    """pending or sent back → submitted, by the assigned reviewer (or HR). "keep" needs no
    list; "revise" needs the whole proposed list, which must differ from the current one.
    ``expected_version`` is the role version the reviewer's form showed."""
    _require_active(acting_user)
    cycle, review = _lock_review_in_open_cycle(review)
    # Under the review's lock: a lead removed meanwhile has had the review moved on already.
    if review.reviewer_id != acting_user.pk and not can_decide_reviews(acting_user):
        raise PermissionDenied(_("This review is assigned to someone else."))
    if not may_submit_review(acting_user, review):
        raise PermissionDenied(_("You no longer lead a team, so you cannot submit this review."))
    if review.state not in (ReviewState.PENDING, ReviewState.SENT_BACK):
        raise ConflictError(
            _("This review is %(state)s; it can only be submitted while pending or sent back.")
            % {"state": review.get_state_display()}
        )
    role = Role.objects.get(pk=review.role_id)
    if expected_version is not None and expected_version != role.version:
        raise StaleVersionError(
            _(
                "%(role)s changed while you were reviewing it (you saw version %(seen)d, it is now %(now)d). "
                "Reload the form to review the current duties."
            )
            % {"role": role.title, "seen": expected_version, "now": role.version},
            current_version=role.version,
        )
    current = list(Duty.objects.filter(role=role).order_by("position"))
    if outcome == ReviewOutcome.KEEP:
        proposed: list[dict] = []
        if duties is not None and _list_edited(duties, current):
            # Keep would throw the edits away: say so instead, and let the form keep them.
            raise ValidationError(
                {"duties": [_("You edited the list: choose Revise, or undo the edits.")]}, code="edited_keep"
            )
    elif outcome == ReviewOutcome.REVISE:
        cleaned = duty_list_normalise(role=role, duties=duties if duties is not None else [])
        if not cleaned:
            raise ValidationError({"duties": [_("A role needs at least one duty.")]}, code="blank")
        if [(d.text, d.serves_id) for d in current] == [(d.text, d.serves) for d in cleaned]:
            raise ValidationError(
                {"duties": [_("The proposed list is the same as the current one; choose “keep” instead.")]},
                code="unchanged",
            )
        proposed = _with_identities(_duty_rows(cleaned), current)
    else:
        raise ValidationError({"outcome": [_("Choose “keep” or “revise”.")]}, code="invalid")
    review.outcome = outcome
    review.proposed_duties = proposed
    review.comment = _clean_note(comment, field="comment", required=False)
    review.base_version = role.version
    review.state = ReviewState.SUBMITTED
    review.submitted_at = timezone.now()
    review.save(
        update_fields=["outcome", "proposed_duties", "comment", "base_version", "state", "submitted_at", "updated_at"]
    )
    change_record(
        action="role_review.submitted",
        obj=review,
        acting_user=acting_user,
        team=role.team_id,
        role=role,
        data={"cycle": cycle.pk, "outcome": outcome, "base_version": role.version},
    )
    notifications.review_submitted(review_id=review.pk)
    return review


@transaction.atomic
def role_review_approve(
    *,
    review: RoleReview,
    acting_user,
    note: str = "",
    onto_current: bool = False,
    resolutions=None,
    expected_version: int | None = None,
) -> RoleReview:
    """submitted → approved. A "revise" outcome is applied through ``role_duties_replace`` with
    the version the reviewer saw; if the role changed since, ``StaleVersionError`` unless
    ``onto_current``: then the proposal is merged three ways with the current list (changes
    made since are kept), and duties changed on both sides are a ``MergeConflict`` that applies
    nothing until ``resolutions`` (duty id → ``{"take": "current"|"proposed"|"text", "text"}``)
    decide them. ``expected_version``: the role version HR's resolutions were made against."""
    require_permission(acting_user, ReviewPermissions.DECIDE_REVIEW)
    cycle, review = _lock_review_in_open_cycle(review)
    if review.state != ReviewState.SUBMITTED:
        raise ConflictError(
            _("This review is %(state)s; only a submitted review can be approved.")
            % {"state": review.get_state_display()}
        )
    revision = None
    if review.outcome == ReviewOutcome.REVISE:
        revision = _apply_duties(
            role_id=review.role_id,
            duties=review.proposed_duties,
            base_version=review.base_version,
            onto_current=onto_current,
            acting_user=acting_user,
            reason=_("Review #%(id)d approved (%(cycle)s)") % {"id": review.pk, "cycle": cycle.name},
            source=RevisionSource.REVIEW,
            what=_("review"),
            resolutions=resolutions,
            expected_version=expected_version,
        )
    review.state = ReviewState.APPROVED
    review.decided_at = timezone.now()
    review.decided_by = acting_user
    review.decision_note = _clean_note(note, field="note", required=False)
    review.applied_revision = revision
    review.save(update_fields=["state", "decided_at", "decided_by", "decision_note", "applied_revision", "updated_at"])
    change_record(
        action="role_review.approved",
        obj=review,
        acting_user=acting_user,
        role=review.role_id,
        team=Role.objects.filter(pk=review.role_id).values_list("team_id", flat=True).first(),
        data={"cycle": cycle.pk, "revision": revision.pk if revision else None, "onto_current": onto_current},
    )
    return review


@transaction.atomic
def role_review_send_back(*, review: RoleReview, note: str, acting_user) -> RoleReview:
    """submitted → sent back, with a note the reviewer acts on; they submit again."""
    require_permission(acting_user, ReviewPermissions.DECIDE_REVIEW)
    note = _clean_note(note, field="note", required=True)
    lock_team_tree()  # who leads is read below (see lock_team_tree)
    cycle, review = _lock_review_in_open_cycle(review)
    if review.state != ReviewState.SUBMITTED:
        raise ConflictError(
            _("This review is %(state)s; only a submitted review can be sent back.")
            % {"state": review.get_state_display()}
        )
    review.state = ReviewState.SENT_BACK
    review.decision_note = note
    review.decided_by = acting_user
    review.decided_at = timezone.now()
    fields = ["state", "decision_note", "decided_by", "decided_at", "updated_at"]
    previous = review.reviewer_id
    if previous is not None and not reviewer_still_leads(review):
        # Submitted while its author led, so it stayed for HR; the work it goes back for is
        # for whoever leads now (see role_reviews_follow_leads).
        team_id = Role.objects.filter(pk=review.role_id).values_list("team_id", flat=True).get()
        review.reviewer_id = reviewer_for_teams([team_id])[team_id]
        fields.append("reviewer")
        change_record(
            action="role_review.reassigned",
            obj=review,
            acting_user=acting_user,
            role=review.role_id,
            team=team_id,
            data={"cycle": cycle.pk, "from": previous, "to": review.reviewer_id, "reason": "role_review.sent_back"},
        )
    review.save(update_fields=fields)
    change_record(
        action="role_review.sent_back",
        obj=review,
        acting_user=acting_user,
        role=review.role_id,
        data={"cycle": cycle.pk},
    )
    notifications.review_sent_back(review_id=review.pk)
    return review


@transaction.atomic
def role_review_assign(*, review: RoleReview, reviewer, acting_user) -> RoleReview:
    """HR gives an undecided review (typically one without a lead) to someone."""
    require_permission(acting_user, ReviewPermissions.DECIDE_REVIEW)
    lock_team_tree()  # the reviewer stays a lead until this commits (see lock_team_tree)
    cycle, review = _lock_review_in_open_cycle(review)
    if review.state not in (ReviewState.PENDING, ReviewState.SENT_BACK):
        raise ConflictError(_("Only a pending or sent-back review can be given to another reviewer."))
    if reviewer is None or not reviewer.is_active:
        raise ValidationError({"reviewer": [_("Choose an active person.")]}, code="invalid")
    if not may_be_reviewer(reviewer):
        raise ValidationError(
            {"reviewer": [_("Choose someone who leads a team: reviews follow the people who lead.")]}, code="invalid"
        )
    review.reviewer = reviewer
    review.save(update_fields=["reviewer", "updated_at"])
    change_record(
        action="role_review.assigned",
        obj=review,
        acting_user=acting_user,
        role=review.role_id,
        data={"cycle": cycle.pk, "reviewer": reviewer.pk},
    )
    notifications.reviews_given(review_ids=[review.pk])
    return review


def reviewer_still_leads(review: RoleReview) -> bool:
    """Whether the review's reviewer may keep it: they lead its role's team or a team above, or
    HR gave it to them (the last assignment) and they still lead some team."""
    reviewer = review.reviewer
    if reviewer is None or not reviewer.is_active:
        return False
    team_id = Role.objects.filter(pk=review.role_id).values_list("team_id", flat=True).get()
    path = TeamTree.load().path(team_id)
    if Membership.objects.filter(user=reviewer, is_lead=True, team_id__in=path, team__archived=False).exists():
        return True
    last = (
        ChangeEvent.objects.filter(action__in=("role_review.assigned", "role_review.reassigned"), object_id=review.pk)
        .order_by("-pk")
        .values_list("action", "data")
        .first()
    )
    given_by_hr = last is not None and last[0] == "role_review.assigned" and last[1].get("reviewer") == reviewer.pk
    return given_by_hr and may_be_reviewer(reviewer)


def _leads_by_team() -> dict[int, set[int]]:
    leads: dict[int, set[int]] = {}
    for team_id, user_id in Membership.objects.filter(
        is_lead=True, user__is_active=True, team__archived=False
    ).values_list("team_id", "user_id"):
        leads.setdefault(team_id, set()).add(user_id)
    return leads


@transaction.atomic
def role_reviews_follow_leads(change: LeadershipEnded) -> int:
    """Someone may have stopped leading (see ``teams.leadership``): each of their pending or
    sent-back reviews in an open cycle whose role they no longer lead (its team or a team above)
    goes to the current lead of the team or the nearest team above, or to nobody (HR's dashboard
    lists it), in the caller's transaction. A person who leads nothing at all any more keeps no
    review, not even one HR gave them. Submitted reviews stay: they were written while their
    author led, and HR decides them. Returns how many reviews moved."""
    open_reviews = RoleReview.objects.filter(
        state__in=(ReviewState.PENDING, ReviewState.SENT_BACK), cycle__state=CycleState.OPEN, reviewer__isnull=False
    )
    if change.user_ids is not None:
        open_reviews = open_reviews.filter(reviewer_id__in=change.user_ids)
    tree = TeamTree.load()
    leads = _leads_by_team()
    leading_anywhere = set().union(*leads.values()) if leads else set()
    scope = tree.subtree_ids(change.team_ids) if change.team_ids is not None else None
    concerned = open_reviews
    if scope is not None:
        concerned = open_reviews.filter(Q(role__team_id__in=scope) | ~Q(reviewer_id__in=leading_anywhere))
    rows = list(concerned.values_list("pk", "cycle_id"))
    if not rows:
        return 0
    # The usual order of locks: cycles, then reviews (as every review transition takes them).
    list(ReviewCycle.objects.select_for_update().filter(pk__in={c for _pk, c in rows}).order_by("pk"))
    locked = list(
        RoleReview.objects.select_for_update()
        .filter(pk__in=[pk for pk, _c in rows], state__in=(ReviewState.PENDING, ReviewState.SENT_BACK))
        .exclude(reviewer=None)
        .order_by("pk")
    )
    team_of = dict(Role.objects.filter(pk__in={r.role_id for r in locked}).values_list("pk", "team_id"))
    moved, given = 0, []
    new_reviewer = reviewer_for_teams(set(team_of.values()))
    for review in locked:
        team_id = team_of[review.role_id]
        if any(review.reviewer_id in leads.get(pk, ()) for pk in tree.path(team_id)):
            continue  # still leads the role's team or a team above
        if scope is not None and team_id not in scope and review.reviewer_id in leading_anywhere:
            continue  # given by HR to someone who still leads elsewhere: not this change's business
        _review_reassign(review=review, reviewer_id=new_reviewer[team_id], team_id=team_id, change=change)
        moved += 1
        if review.reviewer_id is not None:
            given.append(review.pk)
    notifications.reviews_given(review_ids=given)
    return moved


def _review_reassign(*, review: RoleReview, reviewer_id: int | None, team_id: int, change) -> None:
    """Give a locked ``review`` to ``reviewer_id`` (None: nobody) because leadership changed."""
    previous, review.reviewer_id = review.reviewer_id, reviewer_id
    review.save(update_fields=["reviewer", "updated_at"])
    change_record(
        action="role_review.reassigned",
        obj=review,
        acting_user=change.acting_user,
        role=review.role_id,
        team=team_id,
        data={"cycle": review.cycle_id, "from": previous, "to": reviewer_id, "reason": change.reason},
    )


@transaction.atomic
def role_reviews_find_leads(change: LeadershipStarted) -> int:
    """Someone may now lead above ``change.team_ids``: the pending or sent-back reviews of open
    cycles in those subtrees that have no reviewer (HR's dashboard lists them) go to the lead
    of their team or of the nearest team above, in the caller's transaction. Reviews someone
    is already working on stay with them. Returns how many reviews found a reviewer."""
    scope = TeamTree.load().subtree_ids(change.team_ids)
    rows = list(
        RoleReview.objects.filter(
            state__in=(ReviewState.PENDING, ReviewState.SENT_BACK),
            cycle__state=CycleState.OPEN,
            reviewer__isnull=True,
            role__team_id__in=scope,
        ).values_list("pk", "cycle_id", "role__team_id")
    )
    if not rows:
        return 0
    new_reviewer = reviewer_for_teams({team_id for _pk, _c, team_id in rows})
    rows = [row for row in rows if new_reviewer[row[2]] is not None]
    if not rows:
        return 0
    list(ReviewCycle.objects.select_for_update().filter(pk__in={c for _pk, c, _t in rows}).order_by("pk"))
    team_of = {pk: team_id for pk, _c, team_id in rows}
    locked = RoleReview.objects.select_for_update().filter(
        pk__in=team_of, reviewer=None, state__in=(ReviewState.PENDING, ReviewState.SENT_BACK)
    )
    moved, given = 0, []
    for review in locked.order_by("pk"):
        team_id = team_of[review.pk]
        _review_reassign(review=review, reviewer_id=new_reviewer[team_id], team_id=team_id, change=change)
        moved += 1
        given.append(review.pk)
    notifications.reviews_given(review_ids=given)
    return moved


# --- suggestions ---------------------------------------------------------------------------


def suggestion_proposed_duties(
    suggestion: Suggestion, current: Sequence[Duty | dict], *, duty_id: int | None = None
) -> list[dict] | None:
    """The duty list the suggestion asks for, applied to ``current`` (the role's duties in
    order, as ``Duty`` objects or ``{"id", "text", "serves"}``); ``None`` for "something else",
    which HR carries out by hand. ``duty_id``: the duty it is about, if not ``suggestion.duty``."""
    items = [
        {"id": d.pk, "text": d.text, "serves": d.serves_id}
        if isinstance(d, Duty)
        else {"id": d.get("id"), "text": d["text"], "serves": d.get("serves")}
        for d in current
    ]
    duty_id = suggestion.duty_id if duty_id is None else duty_id
    kind = suggestion.kind
    if kind == SuggestionKind.OTHER:
        return None
    if kind == SuggestionKind.ADD:
        at = suggestion.proposed_position or len(items) + 1
        items.insert(max(0, min(at - 1, len(items))), {"text": suggestion.proposed_text, "serves": None})
        return items
    index = next((i for i, item in enumerate(items) if duty_id is not None and item["id"] == duty_id), None)
    if index is None:
        raise ConflictError(
            _("The duty this suggestion is about (“%(text)s”) is no longer in the role's list.")
            % {"text": suggestion.duty_text},
            code="duty_gone",
        )
    if kind == SuggestionKind.CHANGE:
        items[index]["text"] = suggestion.proposed_text
    elif kind == SuggestionKind.REMOVE:
        items.pop(index)
    elif kind == SuggestionKind.REORDER:
        item = items.pop(index)
        items.insert(max(0, min((suggestion.proposed_position or 1) - 1, len(items))), item)
    return items


@transaction.atomic
def suggestion_create(
    *,
    role: Role,
    kind: str,
    rationale: str,
    acting_user,
    duty: Duty | None = None,
    proposed_text: str = "",
    proposed_position: int | None = None,
) -> Suggestion:
    """Any active member of a team (or HR) may suggest on any active role, their own team's
    or another's. The suggestion joins the open cycle that reviews the role, if any."""
    _require_active(acting_user)
    if not can_suggest(acting_user):
        raise PermissionDenied(_("Only members of a team can make suggestions."))
    role = Role.objects.select_for_update().get(pk=role.pk)
    if role.status != RoleStatus.ACTIVE:
        raise ConflictError(_("Suggestions can only be made on active roles."))
    if kind not in SuggestionKind.values:
        raise ValidationError({"kind": [_("Choose what kind of change you suggest.")]}, code="invalid")
    duties = list(Duty.objects.filter(role=role).order_by("position"))
    errors: dict[str, list[str]] = {}
    text = ""
    if kind in (SuggestionKind.ADD, SuggestionKind.CHANGE) or (kind == SuggestionKind.OTHER and proposed_text):
        try:
            text = clean_duty_text(proposed_text, label=_("Proposed text"))
        except ValidationError as exc:
            errors["proposed_text"] = exc.messages
    needs_duty = kind in (SuggestionKind.CHANGE, SuggestionKind.REMOVE, SuggestionKind.REORDER)
    if needs_duty and (duty is None or duty.role_id != role.pk):
        errors["duty"] = [_("Choose one of this role's duties.")]
        duty = None
    if not needs_duty and kind != SuggestionKind.OTHER:
        duty = None
    if duty is not None and duty.role_id != role.pk:
        duty = None
    if kind == SuggestionKind.CHANGE and duty is not None and text and text == duty.text:
        errors["proposed_text"] = [_("The proposed text is the same as the current one.")]
    if kind == SuggestionKind.ADD and text and any(duplicate_key(d.text) == duplicate_key(text) for d in duties):
        errors["proposed_text"] = [_("The role already has this duty.")]
    limit = len(duties) + (1 if kind == SuggestionKind.ADD else 0)
    if proposed_position is not None and (
        isinstance(proposed_position, bool)
        or not isinstance(proposed_position, int)
        or not 1 <= proposed_position <= limit
    ):
        errors["proposed_position"] = [_("Choose a position from 1 to %(max)d.") % {"max": max(limit, 1)}]
    if kind == SuggestionKind.REORDER:
        if proposed_position is None:
            errors.setdefault("proposed_position", [_("Say where the duty should move to.")])
        elif duty is not None and proposed_position == duty.position and "proposed_position" not in errors:
            errors["proposed_position"] = [_("The duty is already at this position.")]
    rationale = (rationale or "").strip()
    if not rationale:
        errors["rationale"] = [_("Say why: a suggestion needs a rationale.")]
    elif len(rationale) > RATIONALE_MAX_LENGTH:
        errors["rationale"] = [_("Keep it under %(max)d characters.") % {"max": RATIONALE_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors, code="invalid")
    open_review = (
        RoleReview.objects.filter(role=role, cycle__state=CycleState.OPEN)
        .order_by("-cycle__starts_on", "-cycle_id")
        .values_list("cycle_id", flat=True)
        .first()
    )
    suggestion = Suggestion(
        role=role,
        duty=duty,
        duty_text=duty.text if duty else "",
        kind=kind,
        proposed_text=text,
        proposed_position=proposed_position if kind in (SuggestionKind.ADD, SuggestionKind.REORDER) else None,
        rationale=rationale,
        author=acting_user,
        base_version=role.version,
        cycle_id=open_review,
    )
    suggestion.full_clean()
    suggestion.save()
    change_record(
        action="suggestion.created",
        obj=suggestion,
        acting_user=acting_user,
        team=role.team_id,
        role=role,
        data={"kind": kind, "cycle": open_review},
    )
    return suggestion


def _lock_suggestion(suggestion: Suggestion) -> Suggestion:
    """Lock the suggestion's cycle (if any) before the suggestion, the order every service
    uses, so that deciding it and closing its cycle serialise instead of deadlocking."""
    cycle_id = Suggestion.objects.filter(pk=suggestion.pk).values_list("cycle_id", flat=True).first()
    if cycle_id is not None:
        ReviewCycle.objects.select_for_update().filter(pk=cycle_id).first()
    return Suggestion.objects.select_for_update().select_related("role").get(pk=suggestion.pk)


def _require_open(suggestion: Suggestion, action: str) -> None:
    if suggestion.state != SuggestionState.OPEN:
        raise ConflictError(
            _("This suggestion is already %(state)s; it cannot be %(action)s.")
            % {"state": suggestion.get_state_display(), "action": action}
        )


def suggestion_merge_preview(suggestion: Suggestion, *, resolutions=None) -> MergeResult | None:
    """The role's list with the suggestion applied: onto the current list as it is when the
    role did not change since, else merged three ways (the suggestion applied to the version it
    was made on, merged with the current list), so that a "change" or "remove" of a duty that
    was reworded since is a conflict, not an overwrite. ``None`` for "something else";
    ``ConflictError`` (``duty_gone``) when the duty it is about is no longer in the list."""
    if suggestion.kind == SuggestionKind.OTHER:
        return None
    role = Role.objects.get(pk=suggestion.role_id)
    current = _duty_list_now(role.pk)
    if role.version == suggestion.base_version:
        return MergeResult(duties=suggestion_proposed_duties(suggestion, current))
    base = _duty_list_at(role.pk, suggestion.base_version)
    if suggestion.kind != SuggestionKind.ADD:
        duty_id = suggestion.duty_id
        if duty_id is None or all(item["id"] != duty_id for item in current):
            # Deleted since (the link is gone): the duty as the suggestion saw it in its base, so
            # the merge decides (a change is a conflict, a remove or reorder changes nothing).
            duty_id = next((item.get("id") for item in base or [] if item.get("text") == suggestion.duty_text), None)
            if duty_id is None or any(item["id"] == duty_id for item in current):
                suggestion_proposed_duties(suggestion, [])  # no record of it: raises duty_gone
            proposed = suggestion_proposed_duties(suggestion, base, duty_id=duty_id)
            return duty_lists_merge(base=base, current=current, proposed=proposed, resolutions=resolutions)
        if base is None or all(item.get("id") != suggestion.duty_id for item in base):
            # No record of the base: the current list, with the duty as the suggestion saw it.
            base = [
                {**item, "text": suggestion.duty_text or item["text"]} if item["id"] == suggestion.duty_id else item
                for item in current
            ]
    elif base is None:
        base = current
    proposed = suggestion_proposed_duties(suggestion, base)
    return duty_lists_merge(base=base, current=current, proposed=proposed, resolutions=resolutions)


@transaction.atomic
def suggestion_accept(
    *,
    suggestion: Suggestion,
    acting_user,
    note: str = "",
    onto_current: bool = False,
    resolutions=None,
    expected_version: int | None = None,
) -> Suggestion:
    """open → accepted; the change is applied as a revision. If the role changed since the
    suggestion was made: ``StaleVersionError`` unless ``onto_current``, and then merged three
    ways (see ``suggestion_merge_preview``; conflicts apply nothing until ``resolutions``
    decide them, as in ``role_review_approve``). "Something else" is accepted without a list
    change: HR carries it out by editing the role."""
    require_permission(acting_user, ReviewPermissions.DECIDE_SUGGESTION)
    note = _clean_note(note, field="note", required=False)
    suggestion = _lock_suggestion(suggestion)
    _require_open(suggestion, _("accepted"))
    revision = None
    if suggestion.kind != SuggestionKind.OTHER:
        role = Role.objects.select_for_update().get(pk=suggestion.role_id)
        _require_fresh(
            role=role,
            base_version=suggestion.base_version,
            onto_current=onto_current,
            expected_version=expected_version,
            what=_("suggestion"),
            resolutions=resolutions,
        )
        result = suggestion_merge_preview(suggestion, resolutions=resolutions)
        revision = _apply_merged(
            role=role,
            result=result,
            acting_user=acting_user,
            reason=_("Suggestion #%(id)d accepted") % {"id": suggestion.pk},
            source=RevisionSource.SUGGESTION,
        )
    suggestion.state = SuggestionState.ACCEPTED
    suggestion.decision_note = note
    suggestion.decided_by = acting_user
    suggestion.decided_at = timezone.now()
    suggestion.applied_revision = revision
    # update_fields: applying may have deleted the duty (its FK was set to NULL in the database)
    suggestion.save(
        update_fields=["state", "decision_note", "decided_by", "decided_at", "applied_revision", "updated_at"]
    )
    change_record(
        action="suggestion.accepted",
        obj=suggestion,
        acting_user=acting_user,
        team=suggestion.role.team_id,
        role=suggestion.role_id,
        data={"revision": revision.pk if revision else None, "onto_current": onto_current},
    )
    notifications.suggestion_decided(suggestion_id=suggestion.pk)
    return suggestion


@transaction.atomic
def suggestion_reject(*, suggestion: Suggestion, note: str, acting_user) -> Suggestion:
    require_permission(acting_user, ReviewPermissions.DECIDE_SUGGESTION)
    note = _clean_note(note, field="note", required=True)
    suggestion = _lock_suggestion(suggestion)
    _require_open(suggestion, _("rejected"))
    suggestion.state = SuggestionState.REJECTED
    suggestion.decision_note = note
    suggestion.decided_by = acting_user
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["state", "decision_note", "decided_by", "decided_at", "updated_at"])
    change_record(
        action="suggestion.rejected",
        obj=suggestion,
        acting_user=acting_user,
        team=suggestion.role.team_id,
        role=suggestion.role_id,
    )
    notifications.suggestion_decided(suggestion_id=suggestion.pk)
    return suggestion


@transaction.atomic
def suggestion_withdraw(*, suggestion: Suggestion, acting_user) -> Suggestion:
    """Only the author withdraws their own open suggestion."""
    _require_active(acting_user)
    suggestion = _lock_suggestion(suggestion)
    if suggestion.author_id != acting_user.pk:
        raise PermissionDenied(_("Only the author can withdraw a suggestion."))
    _require_open(suggestion, _("withdrawn"))
    suggestion.state = SuggestionState.WITHDRAWN
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["state", "decided_at", "updated_at"])
    change_record(
        action="suggestion.withdrawn",
        obj=suggestion,
        acting_user=acting_user,
        team=suggestion.role.team_id,
        role=suggestion.role_id,
    )
    return suggestion


# --- reminders -----------------------------------------------------------------------------


def review_reminders_send(*, today: dt.date | None = None, days_before: int = 3) -> int:
    """Mail each reviewer of undecided-by-them reviews (pending or sent back) in open cycles
    that are due within ``days_before`` days or overdue, at most once a day per review: the
    conditional update claims the reviews, so two runs on the same day send nothing twice.
    Returns the number of reviews reminded about."""
    today = today or timezone.localdate()
    with transaction.atomic():
        due = RoleReview.objects.filter(
            cycle__state=CycleState.OPEN,
            cycle__due_on__lte=today + dt.timedelta(days=days_before),
            state__in=(ReviewState.PENDING, ReviewState.SENT_BACK),
            reviewer__isnull=False,
        ).exclude(reminded_on=today)
        ids = list(due.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True))
        RoleReview.objects.filter(pk__in=ids).update(reminded_on=today)
        if ids:
            notifications.review_reminders(review_ids=ids, today=today)
    return len(ids)
