"""Permission codenames of the reviews app, and who may see which cycles, reviews and suggestions.

HR managers hold every reviews permission (the "HR managers" group, see migration 0002) and see
everything. A lead sees the reviews assigned to them and the suggestions on roles of the teams
they lead (with subtrees). Anyone else sees only their own suggestions. Lists are always
filtered here; an object check alone never protects a list.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from roles.visibility import RoleVisibility
from teams.permissions import is_hr_manager, leads_any_team


class ReviewPermissions:
    DECIDE_SUGGESTION_CODENAME = "decide_suggestion"

    VIEW_SCHEDULE = "reviews.view_reviewschedule"
    ADD_SCHEDULE = "reviews.add_reviewschedule"
    CHANGE_SCHEDULE = "reviews.change_reviewschedule"
    VIEW_CYCLE = "reviews.view_reviewcycle"
    ADD_CYCLE = "reviews.add_reviewcycle"
    MANAGE_CYCLE = "reviews.change_reviewcycle"  # open, close, cancel
    VIEW_REVIEW = "reviews.view_rolereview"
    DECIDE_REVIEW = "reviews.change_rolereview"  # approve, send back, assign a reviewer
    VIEW_SUGGESTION = "reviews.view_suggestion"
    DECIDE_SUGGESTION = "reviews.decide_suggestion"


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def schedules_visible_to(user, queryset: QuerySet) -> QuerySet:
    if _active(user) and (is_hr_manager(user) or user.has_perm(ReviewPermissions.VIEW_SCHEDULE)):
        return queryset
    return queryset.none()


def cycles_visible_to(user, queryset: QuerySet) -> QuerySet:
    """HR and readers see every cycle; other people see cycles once they are opened (which
    teams are under review is not a secret; the reviews in it are filtered separately)."""
    if not _active(user):
        return queryset.none()
    if is_hr_manager(user) or user.has_perm(ReviewPermissions.VIEW_CYCLE):
        return queryset
    return queryset.exclude(state="draft")


def reviews_visible_to(user, queryset: QuerySet, *, roles: RoleVisibility | None = None) -> QuerySet:
    """HR and readers see every review, a reviewer their own; none about a role the user may
    not see (a role made a draft after the cycle opened). ``roles``: the user's role visibility,
    if the caller has it already."""
    if not _active(user):
        return queryset.none()
    queryset = (roles or RoleVisibility.for_user(user)).filter(queryset, "role__")
    if is_hr_manager(user) or user.has_perm(ReviewPermissions.VIEW_REVIEW):
        return queryset
    return queryset.filter(reviewer=user)


def suggestions_visible_to(user, queryset: QuerySet, *, roles: RoleVisibility | None = None) -> QuerySet:
    """HR and readers see every suggestion, leads those on their teams' roles, anyone their
    own; none about a role the user may not see (a role made a draft after it was suggested on)."""
    if not _active(user):
        return queryset.none()
    roles = roles or RoleVisibility.for_user(user)
    queryset = roles.filter(queryset, "role__")
    if is_hr_manager(user) or user.has_perm(ReviewPermissions.VIEW_SUGGESTION):
        return queryset
    # Not HR: the teams whose drafts they see are the teams they lead (with subtrees).
    return queryset.filter(Q(author=user) | Q(role__team_id__in=sorted(roles.draft_team_ids or ())))


def can_manage_cycles(user) -> bool:
    return _active(user) and user.has_perm(ReviewPermissions.MANAGE_CYCLE)


def can_decide_reviews(user) -> bool:
    return _active(user) and user.has_perm(ReviewPermissions.DECIDE_REVIEW)


def may_submit_review(user, review) -> bool:
    """HR, or the review's current reviewer while they still lead a team (a review follows
    its team's leads: see ``reviews.services.role_reviews_follow_leads``)."""
    if can_decide_reviews(user):
        return True
    return _active(user) and review.reviewer_id == user.pk and leads_any_team(user)


def may_be_reviewer(user) -> bool:
    """Reviews are given to leads only (HR may pick any lead, of any team)."""
    return leads_any_team(user)


def can_decide_suggestions(user) -> bool:
    return _active(user) and user.has_perm(ReviewPermissions.DECIDE_SUGGESTION)


def can_suggest(user) -> bool:
    """Any active member of a (non-archived) team, or HR, may suggest on any active role."""
    from teams.models import Membership

    if not _active(user):
        return False
    return is_hr_manager(user) or Membership.objects.filter(user=user, team__archived=False).exists()
