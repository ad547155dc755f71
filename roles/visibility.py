"""Who may see which roles: the one rule every page, API, search, export, feed and analysis uses.

Active and retired roles are visible to every signed-in, active person; draft roles only to HR
managers and to the leads of the role's team or of a team above it (a lead's django-guardian
permission on a team covers its whole subtree). Signed-out and deactivated people see no role.

``RoleVisibility.for_user(user)`` works this out once (at most two queries, and only when a
draft is in question); then

- ``.filter(roles)`` narrows a queryset of roles, ``.q("role__")`` gives the same condition for
  anything that points to a role (duties, memberships, revisions, reviews, change events), with
  ``nullable=True`` where pointing to no role is allowed;
- ``.can_see(role)`` answers for one role, ``.drafts_visible_in(team_id)`` for a team's drafts;
- ``.draft_team_ids`` (``None``: every team) is what code building its own queries needs.

A hidden role is indistinguishable from a missing one: views look it up through ``.filter`` and
answer 404, filters taking a role offer only visible ones (an unknown one is the same 400).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Q, QuerySet

from roles.models import RoleStatus


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


class RoleVisibility:
    """What one caller may see of roles (see the module docstring)."""

    def __init__(
        self,
        *,
        signed_in: bool,
        all_drafts: bool = False,
        led_team_ids: Iterable[int] | Callable[[], Iterable[int]] = (),
    ):
        self.signed_in = signed_in
        self.all_drafts = signed_in and all_drafts
        self._led = led_team_ids
        self._draft_team_ids: frozenset[int] | None = None

    @classmethod
    def for_user(cls, user) -> RoleVisibility:
        from teams.permissions import is_hr_manager, led_team_ids

        if not _signed_in(user):
            return cls(signed_in=False)
        if is_hr_manager(user):
            return cls(signed_in=True, all_drafts=True)
        return cls(signed_in=True, led_team_ids=lambda: led_team_ids(user))

    @property
    def draft_team_ids(self) -> frozenset[int] | None:
        """Ids of the teams whose draft roles this caller sees; ``None`` for all teams."""
        if self.all_drafts:
            return None
        if self._draft_team_ids is None:
            led = self._led() if callable(self._led) else self._led
            self._draft_team_ids = frozenset(led) if self.signed_in else frozenset()
        return self._draft_team_ids

    def drafts_visible_in(self, team_id: int | None) -> bool:
        teams = self.draft_team_ids
        return self.signed_in and (teams is None or team_id in teams)

    def can_see(self, role) -> bool:
        if role is None or not self.signed_in:
            return False
        return role.status != RoleStatus.DRAFT or self.drafts_visible_in(role.team_id)

    def q(self, prefix: str = "", *, nullable: bool = False) -> Q:
        """The condition on a role (``prefix`` "role__" for objects pointing to one); with
        ``nullable``, objects pointing to no role pass too (for signed-in callers: signed-out
        ones see nothing at all)."""
        if not self.signed_in:
            return Q(pk__in=[])
        if self.draft_team_ids is None:
            return Q()  # every role (an empty Q in an OR would narrow it instead)
        condition = ~Q(**{f"{prefix}status": RoleStatus.DRAFT}) | Q(
            **{f"{prefix}team_id__in": sorted(self.draft_team_ids)}
        )
        if nullable and prefix:
            return Q(**{f"{prefix.removesuffix('__')}__isnull": True}) | condition
        return condition

    def filter(self, queryset: QuerySet, prefix: str = "", *, nullable: bool = False) -> QuerySet:
        if not self.signed_in:
            return queryset.none()
        if self.draft_team_ids is None:
            return queryset
        return queryset.filter(self.q(prefix, nullable=nullable))
