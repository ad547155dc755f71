"""When someone may have stopped (or started) leading: handlers that the layers above register.

Work is assigned to leads in apps above this one (reviews), but the changes that end a lead's
leadership happen here (a membership removed, the lead flag turned off, a person deactivated, a
team moved away from under its lead). ``teams`` must not import those apps, so its services
call ``leadership_ended`` inside their own transaction, and each app above registers a handler
in its ``AppConfig.ready``. It is an explicit, synchronous call, not a Django signal: the
handlers are listed in one place, run in the same transaction as the change, and an error in
one rolls the whole change back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LeadershipEnded:
    """Someone may no longer lead where they did.

    ``user_ids``: the people concerned (``None``: whoever led above ``team_ids`` before).
    ``team_ids``: the teams whose subtrees are concerned (``None``: everywhere).
    ``reason``: what happened (``membership.removed``, ``membership.lead_removed``,
    ``person.deactivated``, ``team.moved``, ``team.archived``), kept in the history of what the
    handlers change.
    """

    user_ids: frozenset[int] | None
    team_ids: frozenset[int] | None
    reason: str
    acting_user: Any = None


@dataclass(frozen=True)
class LeadershipStarted:
    """Someone may now lead above ``team_ids`` (and their subtrees): a lead membership added or
    its flag turned on, a lead reactivated, a team moved under another. ``reason`` as above."""

    team_ids: frozenset[int]
    reason: str
    acting_user: Any = None


LeadershipHandler = Callable[[LeadershipEnded], None]
LeadershipStartedHandler = Callable[[LeadershipStarted], None]
_handlers: list[LeadershipHandler] = []
_started_handlers: list[LeadershipStartedHandler] = []


def register_leadership_handler(handler: LeadershipHandler) -> LeadershipHandler:
    """Call ``handler`` whenever leadership may have ended (once, however often registered)."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def leadership_ended(
    *, reason: str, acting_user, user_ids: Iterable[int] | None = None, team_ids: Iterable[int] | None = None
) -> None:
    """Run every registered handler now, inside the caller's transaction."""
    change = LeadershipEnded(
        user_ids=frozenset(user_ids) if user_ids is not None else None,
        team_ids=frozenset(team_ids) if team_ids is not None else None,
        reason=reason,
        acting_user=acting_user,
    )
    for handler in list(_handlers):
        handler(change)


def register_leadership_started_handler(handler: LeadershipStartedHandler) -> LeadershipStartedHandler:
    """Call ``handler`` whenever someone may have started leading (once, however often registered)."""
    if handler not in _started_handlers:
        _started_handlers.append(handler)
    return handler


def leadership_started(*, reason: str, acting_user, team_ids: Iterable[int]) -> None:
    """Run every registered handler now, inside the caller's transaction (work left without a
    lead, such as reviews HR's dashboard lists as unassigned, goes to the new lead)."""
    change = LeadershipStarted(team_ids=frozenset(team_ids), reason=reason, acting_user=acting_user)
    if not change.team_ids:
        return
    for handler in list(_started_handlers):
        handler(change)
